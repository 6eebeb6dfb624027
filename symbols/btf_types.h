/* Kernel type layouts from the vmlinux's BTF (.BTF, read with libbpf), so
 * no structure offset is hard-coded and fields that moved or were renamed
 * between kernel versions are found by trying the known names. */
#ifndef LKSTUB_BTF_TYPES_H
#define LKSTUB_BTF_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

struct btf_types {
	struct btf *btf;
};

int btf_types_open(struct btf_types *bt, const char *vmlinux, char *err);
void btf_types_close(struct btf_types *bt);

/* Where a member is inside a struct. */
struct btf_field {
	long offset;    /* bytes from the start of the outer struct; -1: absent */
	unsigned size;  /* bytes (0 for a bitfield) */
};

/* Offset of a member path ("thread.sp", "signal") in struct `type`,
 * looking through anonymous structs and unions; each path component may
 * list alternatives separated by '|' ("__state|state"). */
struct btf_field btf_field(const struct btf_types *bt, const char *type,
			   const char *path);
/* btf_field's offset; when absent, "type.path" is added to the list of
 * missing fields in missing (a ", "-separated message for the user). */
long btf_offset_noted(const struct btf_types *bt, const char *type,
		      const char *path, char *missing, size_t missing_len);
/* sizeof(struct type), or -1. */
long btf_struct_size(const struct btf_types *bt, const char *type);

#endif
