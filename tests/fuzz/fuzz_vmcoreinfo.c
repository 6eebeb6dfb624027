/* vmcoreinfo text as a malicious guest could write it: vmcoreinfo_parse
 * over any bytes, then the getters the discovery code uses. Checks that
 * every key and value lies inside the parsed copy, keys are non-empty and
 * hold no '=' or newline, and getters agree with each other.
 *
 * Input: the text; its last byte, when the text is longer than one,
 * also picks the length handed to the parser (whole, or cut short). */
#include "tests/fuzz/fuzz_input.h"

#include "symbols/vmcoreinfo.h"

static struct vmcoreinfo vi;

static const char *const symbols[] = {
	"_stext", "init_uts_ns", "vmcoreinfo_data", "vmcoreinfo_note",
	"init_top_pgt", "swapper_pg_dir", "_text", "mem_map", "node_data",
	"", "SYMBOL(x)",
};
static const char *const numbers[] = {
	"phys_base", "pgtable_l5_enabled", "VA_BITS", "TCR_EL1_T1SZ",
	"PHYS_OFFSET", "kimage_voffset", "PAGE_SIZE", "",
};
static const char *const keys[] = {
	"OSRELEASE", "BUILD-ID", "KERNELOFFSET", "PAGESIZE", "CRASHTIME",
	"", "=",
};

static bool inside(const char *p)
{
	return p >= vi.text && p <= vi.text + VMCOREINFO_MAX_BYTES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size;
	if (size > 1 && (data[size - 1] & 1))
		len = (size - 1) * data[size - 1] / 256;
	int rc = vmcoreinfo_parse(&vi, data, len);
	FUZZ_CHECK(vi.nr <= sizeof(vi.keys) / sizeof(vi.keys[0]), "nr %u",
		   vi.nr);
	FUZZ_CHECK(rc == 0 ? vi.nr > 0 : vi.nr == 0 || rc == -1, "rc %d", rc);
	if (rc == 0)
		FUZZ_CHECK(strncmp(data ? (const char *)data : "", "OSRELEASE=",
				   len < 10 ? len : 10) == 0 && len >= 10,
			   "parsed text not starting with OSRELEASE=");
	for (unsigned i = 0; i < vi.nr; i++) {
		FUZZ_CHECK(inside(vi.keys[i]) && inside(vi.values[i]),
			   "line %u points outside the copy", i);
		FUZZ_CHECK(vi.keys[i][0] != '\0', "empty key %u", i);
		FUZZ_CHECK(!strpbrk(vi.keys[i], "=\n") &&
			   !strchr(vi.values[i], '\n'),
			   "line %u not split", i);
		/* The first line with a key wins. */
		const char *v = vmcoreinfo_get(&vi, vi.keys[i]);
		FUZZ_CHECK(v && inside(v), "key %u not found again", i);
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		uint64_t u, h;
		if (vmcoreinfo_symbol(&vi, symbols[i], &u)) {
			char key[160];
			snprintf(key, sizeof(key), "SYMBOL(%s)", symbols[i]);
			FUZZ_CHECK(vmcoreinfo_hex(&vi, key, &h) && h == u,
				   "SYMBOL(%s) and its hex differ", symbols[i]);
		}
	}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		int64_t n;
		(void)vmcoreinfo_number(&vi, numbers[i], &n);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t h;
		(void)vmcoreinfo_hex(&vi, keys[i], &h);
	}
	/* Keys taken from the text itself, with and without a wrapper. */
	for (unsigned i = 0; i < vi.nr && i < 8; i++) {
		uint64_t u;
		int64_t n;
		(void)vmcoreinfo_hex(&vi, vi.keys[i], &u);
		(void)vmcoreinfo_symbol(&vi, vi.keys[i], &u);
		(void)vmcoreinfo_number(&vi, vi.keys[i], &n);
	}
	/* A very long name must not overflow the key buffer. */
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	uint64_t u;
	int64_t n;
	FUZZ_CHECK(!vmcoreinfo_symbol(&vi, longname, &u) &&
		   !vmcoreinfo_number(&vi, longname, &n),
		   "a key longer than any buffer matched");
	return 0;
}
