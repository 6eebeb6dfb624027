/* Files lkstub writes for gdb, so that `target remote` alone loads the
 * kernel's and the modules' symbols at their runtime addresses (see
 * docs/design.md, "Symbols without set-up"):
 *
 * - a placeholder executable, served as qXfer:exec-file: gdb 13 reads
 *   the library list when it connects only if it has an executable;
 * - per object file (vmlinux, module), a section map: an ELF without
 *   bytes whose allocated sections are the object's, with a
 *   .gnu_debuglink naming the object through a symlink beside it. gdb
 *   relocates the map's sections as the library list says, then loads the
 *   object as its separate debug file with the same offsets, section by
 *   section (by name).
 *
 * gdb takes a section whose relocated address is 0 as "no address given"
 * and moves it by the offset of the section before it, unless nothing
 * comes before it; x86_64's per-cpu section must stay at 0. A module map
 * (symfile_section_map) puts such sections first; the vmlinux's map
 * (symfile_indexed_map) keeps the vmlinux's section numbers, which gdb
 * needs to place its ELF symbols, and renames such a section instead. */
#ifndef LKSTUB_GDB_SYMFILES_H
#define LKSTUB_GDB_SYMFILES_H

#include <stddef.h>
#include <stdint.h>

#include "symbols/elf_sections.h"

/* CRC-32 of a whole file as .gnu_debuglink wants it. */
int symfile_crc32(const char *path, uint32_t *crc, char *err);

/* dir/lkstub-kernel-ARCH: an empty executable for the ELF machine (one
 * per architecture, named so that an IDE that wants a program can be
 * given it). */
int symfile_placeholder(const char *dir, uint16_t machine, const char *arch,
			char *path, size_t path_len, char *err);

/* dir/NAME@TAG.lkstub, the section map of the object at object_path (its
 * sections secs[0..n), what gdb will add to each in addrs[], its ELF
 * type and entry point: gdb pairs the map's sections with the object's
 * only when both agree), and
 * dir/NAME -> the object. order[] gets the map's section order (indexes
 * into secs): the library list gives the addresses in that order. The
 * tag names one placement (a KASLR offset, a module load): gdb keeps a
 * library whose name it has seen, so a moved object needs a new name. */
int symfile_section_map(const char *dir, const char *name, const char *tag,
			const char *object_path, uint32_t crc, uint16_t type,
			uint16_t machine, uint64_t entry,
			const struct elf_section *secs, const uint64_t *addrs,
			unsigned n, unsigned *order, char *path,
			size_t path_len, char *err);

/* The vmlinux's map: numbered as the object (secs are all its sections,
 * elf_all_sections; offsets[i] what gdb adds to section i), so that gdb
 * places the vmlinux's ELF symbols right too (it takes a minimal symbol's
 * section number as the map's). A section that stays at 0 is renamed in
 * the map (the vmlinux's then matches none and keeps offset 0) and put at
 * 1, moved by 0. addrs[0..*nr_addrs) get the library list's values, one
 * per allocated section. (Kept to the vmlinux: with relocatable modules
 * this numbering put data wrong on arm64 in a trial.) */
int symfile_indexed_map(const char *dir, const char *name, const char *tag,
			const char *object_path, uint32_t crc, uint16_t type,
			uint16_t machine, uint64_t entry,
			const struct elf_section *secs, const uint64_t *offsets,
			unsigned n, uint64_t *addrs, unsigned *nr_addrs,
			char *path, size_t path_len, char *err);

/* mkdir -p for a cache directory (mode 0700). */
int symfile_mkdirs(const char *dir, char *err);

#endif
