/* Finding a loaded module's object file: the directories given with
 * --modules, else /usr/lib/debug/lib/modules/RELEASE (Debian's -dbg
 * packages, with DWARF) then /lib/modules/RELEASE. Modules are found by
 * name ('-' and '_' alike, as modprobe does) as NAME.ko, NAME.ko.xz or
 * NAME.ko.zst; a compressed one is unpacked into a cache directory. */
#ifndef LKSTUB_MODULE_FILES_H
#define LKSTUB_MODULE_FILES_H

#include <limits.h>
#include <stddef.h>

#define MODULE_DIRS_MAX 16
#define MODULE_FILES_MAX (1u << 17) /* files indexed, a bound */
#define MODULE_FILE_MAX_BYTES (1ull << 30) /* unpacked size, a bound */

struct module_file {
	char name[64];          /* normalized: '-' -> '_' */
	char *path;
	size_t rank;            /* order found: earlier directories first */
};

struct module_files {
	char dirs[MODULE_DIRS_MAX][PATH_MAX];
	unsigned nr_dirs;
	struct module_file *v;  /* sorted by name; the first directory wins */
	size_t n;
	char note[256];         /* what was indexed, or why not */
};

/* Index the files under dirs (in order). A directory that does not exist
 * is noted, not an error. */
int module_files_index(struct module_files *mf, const char *const *dirs,
		       unsigned nr_dirs, char *err);
void module_files_free(struct module_files *mf);
/* The file of module `name`, or NULL. */
const char *module_files_find(const struct module_files *mf,
			      const char *name);
/* A path gdb can read: the file itself, or for .xz/.zst its unpacked copy
 * in cache_dir (made once, again when the source is newer). */
int module_file_unpacked(const char *path, const char *cache_dir,
			 char *out, size_t out_len, char *err);

#endif
