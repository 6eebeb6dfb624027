#include "symbols/vmcoreinfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vmcoreinfo_parse(struct vmcoreinfo *vi, const void *buf, size_t len)
{
	if (len > VMCOREINFO_MAX_BYTES)
		len = VMCOREINFO_MAX_BYTES;
	size_t n = strnlen(buf, len);
	memcpy(vi->text, buf, n);
	vi->text[n] = '\0';
	vi->nr = 0;
	if (strncmp(vi->text, "OSRELEASE=", 10))
		return -1;
	char *line = vi->text;
	while (*line && vi->nr < sizeof(vi->keys) / sizeof(vi->keys[0])) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *eq = strchr(line, '=');
		if (eq && eq != line) {
			*eq = '\0';
			vi->keys[vi->nr] = line;
			vi->values[vi->nr] = eq + 1;
			vi->nr++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return vi->nr ? 0 : -1;
}

const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key)
{
	for (unsigned i = 0; i < vi->nr; i++)
		if (!strcmp(vi->keys[i], key))
			return vi->values[i];
	return NULL;
}

static bool parse_full(const char *s, int base, bool is_signed, void *out)
{
	/* strto*() skip leading blanks, and strtoull() then takes a '-':
	 * " -1" would read as UINT64_MAX. The kernel writes no blanks. */
	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	if (is_signed) {
		long long v = strtoll(s, &end, base);
		if (errno || *end)
			return false;
		*(int64_t *)out = v;
	} else {
		if (*s == '-' || *s == '+')
			return false;
		unsigned long long v = strtoull(s, &end, base);
		if (errno || *end)
			return false;
		*(uint64_t *)out = v;
	}
	return true;
}

bool vmcoreinfo_hex(const struct vmcoreinfo *vi, const char *key,
		    uint64_t *val)
{
	return parse_full(vmcoreinfo_get(vi, key), 16, false, val);
}

bool vmcoreinfo_symbol(const struct vmcoreinfo *vi, const char *name,
		       uint64_t *val)
{
	char key[128];
	if (snprintf(key, sizeof(key), "SYMBOL(%s)", name) >= (int)sizeof(key))
		return false;
	return vmcoreinfo_hex(vi, key, val);
}

bool vmcoreinfo_number(const struct vmcoreinfo *vi, const char *name,
		       int64_t *val)
{
	char key[128];
	if (snprintf(key, sizeof(key), "NUMBER(%s)", name) >= (int)sizeof(key))
		return false;
	const char *v = vmcoreinfo_get(vi, key);
	if (v && (!strncmp(v, "0x", 2) || !strncmp(v, "0X", 2))) {
		uint64_t u;
		if (!parse_full(v, 16, false, &u))
			return false;
		*val = (int64_t)u;
		return true;
	}
	return parse_full(v, 10, true, val);
}
