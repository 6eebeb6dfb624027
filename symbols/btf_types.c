#include "symbols/btf_types.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

int btf_types_open(struct btf_types *bt, const char *vmlinux, char *err)
{
	bt->btf = btf__parse_elf(vmlinux, NULL);
	if (!bt->btf) {
		int e = errno;
		bt->btf = NULL;
		return set_err(err, "%s: no usable BTF (%s)", vmlinux,
			       strerror(e));
	}
	return 0;
}

void btf_types_close(struct btf_types *bt)
{
	btf__free(bt->btf);
	bt->btf = NULL;
}

/* Strip typedefs and qualifiers. */
static const struct btf_type *resolve(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);
	for (int depth = 0; t && depth < 32; depth++) {
		if (!btf_is_typedef(t) && !btf_is_mod(t))
			return t;
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return NULL;
}

static bool name_matches(const char *name, const char *alts, size_t len)
{
	const char *p = alts, *end = alts + len;
	while (p < end) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t n = (size_t)((bar ? bar : end) - p);
		if (strlen(name) == n && !strncmp(name, p, n))
			return true;
		p += n + 1;
	}
	return false;
}

/* Find one path component in a struct/union, descending into anonymous
 * members. On success *id is the member's type and the return value its
 * bit offset; -1 when absent. */
static long find_member(const struct btf *btf, uint32_t *id, const char *alts,
			size_t len, unsigned depth, bool *bitfield)
{
	const struct btf_type *t = resolve(btf, id);
	if (!t || depth > 8 || !(btf_is_struct(t) || btf_is_union(t)))
		return -1;
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);
		long bits = (long)btf_member_bit_offset(t, i);
		if (name && *name) {
			if (name_matches(name, alts, len)) {
				*id = m[i].type;
				*bitfield = btf_member_bitfield_size(t, i) != 0;
				return bits;
			}
			continue;
		}
		uint32_t sub = m[i].type;
		long inner = find_member(btf, &sub, alts, len, depth + 1,
					 bitfield);
		if (inner >= 0) {
			*id = sub;
			return bits + inner;
		}
	}
	return -1;
}

/* The first of the '|' alternatives of one path component that is
 * present, in the order the path lists them (not the struct's order). */
static long find_first(const struct btf *btf, uint32_t *id, const char *alts,
		       size_t len, bool *bitfield)
{
	const char *p = alts, *end = alts + len;
	while (p < end) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t n = (size_t)((bar ? bar : end) - p);
		uint32_t sub = *id;
		long b = n ? find_member(btf, &sub, p, n, 0, bitfield) : -1;
		if (b >= 0) {
			*id = sub;
			return b;
		}
		p += n + 1;
	}
	return -1;
}

static int32_t find_struct(const struct btf *btf, const char *type)
{
	int32_t id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	return id > 0 ? id : -1;
}

struct btf_field btf_field(const struct btf_types *bt, const char *type,
			   const char *path)
{
	struct btf_field f = { -1, 0 };
	if (!bt->btf)
		return f;
	int32_t sid = find_struct(bt->btf, type);
	if (sid < 0)
		return f;
	uint32_t id = (uint32_t)sid;
	long bits = 0;
	bool bitfield = false;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ".");
		long b = find_first(bt->btf, &id, p, n, &bitfield);
		if (b < 0)
			return f;
		bits += b;
		p += n;
		if (*p == '.')
			p++;
	}
	if (bits % 8)
		return f; /* not byte aligned: a bitfield, not readable here */
	f.offset = bits / 8;
	if (!bitfield) {
		__s64 size = btf__resolve_size(bt->btf, id);
		f.size = size > 0 ? (unsigned)size : 0;
	}
	return f;
}

long btf_struct_size(const struct btf_types *bt, const char *type)
{
	if (!bt->btf)
		return -1;
	int32_t id = find_struct(bt->btf, type);
	if (id < 0)
		return -1;
	return btf__type_by_id(bt->btf, (uint32_t)id)->size;
}

long btf_offset_noted(const struct btf_types *bt, const char *type,
		      const char *path, char *missing, size_t missing_len)
{
	struct btf_field f = btf_field(bt, type, path);
	size_t n = strnlen(missing, missing_len);
	if (f.offset < 0 && n < missing_len)
		snprintf(missing + n, missing_len - n, "%s%s.%s",
			 n ? ", " : "", type, path);
	return f.offset;
}
