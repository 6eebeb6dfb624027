/* Unit tests for stub/cli/options.c: every option of the usage text, the
 * defaults, and errors that name the argument at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <getopt.h>

#include "stub/cli/options.h"
#include "common/err.h"

#define MAX_ARGS 160

static struct options o; /* 64 regions: off the stack */
static char err[ERR_LEN];
static char *argv_store[MAX_ARGS + 1];

/* Parse "lkstub" followed by the arguments up to NULL. */
static int parse(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	int argc = 0;
	argv_store[argc++] = "lkstub";
	if (first) {
		argv_store[argc++] = (char *)first;
		for (char *a; (a = va_arg(ap, char *));) {
			assert_true(argc < MAX_ARGS);
			argv_store[argc++] = a;
		}
	}
	va_end(ap);
	argv_store[argc] = NULL;
	err[0] = '\0';
	return options_parse(&o, argc, argv_store, err);
}

static void parse_ok_msg(int rc)
{
	if (rc)
		fail_msg("options_parse failed: %s", err);
}

#define PARSE_OK(...) parse_ok_msg(parse(__VA_ARGS__, NULL))
#define PARSE_BAD(want, ...)                                             \
	do {                                                             \
		assert_int_equal(parse(__VA_ARGS__, NULL), -1);          \
		if (!strstr(err, want))                                  \
			fail_msg("error \"%s\" lacks \"%s\"", err, want); \
	} while (0)

static void test_defaults(void **state)
{
	(void)state;
	PARSE_OK("-k", "vmlinux", "/dev/shm/guest");
	assert_string_equal(o.memory, "/dev/shm/guest");
	assert_string_equal(o.vmlinux, "vmlinux");
	assert_string_equal(o.listen, "127.0.0.1:1234");
	assert_string_equal(o.listen, DEFAULT_LISTEN);
	assert_int_equal(o.layout, LAYOUT_AUTO);
	assert_int_equal(o.nr_regions, 0);
	assert_false(o.write);
	assert_int_equal(o.discover.how, DISCOVER_AUTO);
	assert_false(o.discover.have_kaslr_offset);
	assert_false(o.discover.have_phys_base);
	assert_false(o.wait);
	assert_int_equal(o.wait_seconds, 0);
	assert_false(o.help);
	assert_false(o.version);
	/* Options after MEMORY (GNU permutation). */
	PARSE_OK("mem", "--vmlinux", "vm", "-w");
	assert_string_equal(o.memory, "mem");
	assert_string_equal(o.vmlinux, "vm");
	assert_true(o.write);
	/* "--" ends the options. */
	PARSE_OK("-k", "vm", "--", "-mem-");
	assert_string_equal(o.memory, "-mem-");
}

static void test_each_option(void **state)
{
	(void)state;
	PARSE_OK("--vmlinux", "/boot/vmlinux", "m");
	assert_string_equal(o.vmlinux, "/boot/vmlinux");
	PARSE_OK("--vmlinux=/v", "m");
	assert_string_equal(o.vmlinux, "/v");
	PARSE_OK("-k/v2", "m");
	assert_string_equal(o.vmlinux, "/v2");

	PARSE_OK("-k", "v", "-l", "0.0.0.0:9999", "m");
	assert_string_equal(o.listen, "0.0.0.0:9999");
	PARSE_OK("-k", "v", "--listen", "[::1]:1234", "m");
	assert_string_equal(o.listen, "[::1]:1234");
	PARSE_OK("-k", "v", "--listen=unix:/tmp/s", "m");
	assert_string_equal(o.listen, "unix:/tmp/s");
	PARSE_OK("-k", "v", "-l", "-", "m");
	assert_string_equal(o.listen, "-");

	static const struct {
		const char *name;
		enum layout_kind kind;
	} layouts[] = {
		{ "auto", LAYOUT_AUTO }, { "flat", LAYOUT_FLAT },
		{ "q35", LAYOUT_Q35 },   { "pc", LAYOUT_PC },
		{ "virt", LAYOUT_VIRT },
	};
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		PARSE_OK("-k", "v", "-L", layouts[i].name, "m");
		assert_int_equal(o.layout, layouts[i].kind);
		PARSE_OK("-k", "v", "--layout", layouts[i].name, "m");
		assert_int_equal(o.layout, layouts[i].kind);
	}

	PARSE_OK("-k", "v", "-w", "m");
	assert_true(o.write);
	PARSE_OK("-k", "v", "--write", "m");
	assert_true(o.write);
	PARSE_OK("-wkv", "m"); /* clustered short options */
	assert_true(o.write);
	assert_string_equal(o.vmlinux, "v");

	static const struct {
		const char *name;
		enum discover_how how;
	} hows[] = {
		{ "auto", DISCOVER_AUTO },
		{ "vmcoreinfo", DISCOVER_VMCOREINFO },
		{ "banner", DISCOVER_BANNER },
	};
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		PARSE_OK("-k", "v", "--discover", hows[i].name, "m");
		assert_int_equal(o.discover.how, hows[i].how);
	}

	PARSE_OK("-h");
	assert_true(o.help);
	PARSE_OK("--help");
	assert_true(o.help);
	PARSE_OK("-V");
	assert_true(o.version);
	PARSE_OK("--version", "extra", "args");
	assert_true(o.version);
}

/* Each option the usage text names is accepted. */
static void test_usage_options_all_parse(void **state)
{
	(void)state;
	static const struct {
		const char *opt, *arg;
	} sample[] = {
		{ "--vmlinux", "v" },   { "--listen", "h:1" },
		{ "--layout", "flat" }, { "--region", "0:1M" },
		{ "--write", NULL },    { "--kaslr-offset", "0" },
		{ "--phys-base", "0" }, { "--discover", "banner" },
		{ "--wait", NULL },     { "--help", NULL },
		{ "--version", NULL },  { "--qmp", "/run/qmp.sock" },
		{ "--cache", "/tmp/c" }, { "--no-symbols", NULL },
		{ "--modules", "/tmp/m" }, { "--no-pause", NULL },
		{ "--control", NULL },  { "--mmio", NULL },
	};
	unsigned seen = 0;
	for (const char *p = options_usage; (p = strstr(p, "--")); p += 2) {
		size_t n = 2;
		while (p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z'))
			n++;
		if (n == 2)
			continue;
		size_t i = 0;
		for (; i < sizeof(sample) / sizeof(sample[0]); i++)
			if (strlen(sample[i].opt) == n &&
			    !strncmp(sample[i].opt, p, n))
				break;
		if (i == sizeof(sample) / sizeof(sample[0]))
			fail_msg("usage names %.*s: not in this test", (int)n,
				 p);
		seen |= 1u << i;
		char *opt = (char *)sample[i].opt, *arg = (char *)sample[i].arg;
		/* The QMP options go with --qmp. */
		const char *mem = "m";
		bool with_qmp = !strcmp(opt, "--no-pause") ||
				!strcmp(opt, "--control") ||
				!strcmp(opt, "--mmio");
		int rc = arg	    ? parse("-k", "v", opt, arg, mem, NULL)
			 : with_qmp ? parse("-k", "v", "--qmp", "s", opt, mem,
					    NULL)
				    : parse("-k", "v", opt, mem, NULL);
		if (rc)
			fail_msg("%s %s: %s", opt, arg ? arg : "", err);
	}
	assert_int_equal(seen, (1u << (sizeof(sample) / sizeof(sample[0]))) - 1);
	/* Short forms named in the usage. */
	static const char *const shorts[] = { "-k, --vmlinux", "-l, --listen",
					      "-L, --layout", "-r, --region",
					      "-w, --write", "-h, --help",
					      "-V, --version" };
	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		assert_non_null(strstr(options_usage, shorts[i]));
	assert_non_null(strstr(options_usage, DEFAULT_LISTEN));
}

static void test_regions(void **state)
{
	(void)state;
	PARSE_OK("-k", "v", "-r", "0:2G", "--region", "0x100000000:1G@0x80000000",
		 "m");
	assert_int_equal(o.layout, LAYOUT_EXPLICIT);
	assert_int_equal(o.nr_regions, 2);
	assert_true(o.regions[0].gpa == 0);
	assert_true(o.regions[0].size == 2ULL << 30);
	assert_true(o.regions[0].offset == LAYOUT_OFFSET_NEXT);
	assert_true(o.regions[1].gpa == 0x100000000ULL);
	assert_true(o.regions[1].size == 1ULL << 30);
	assert_true(o.regions[1].offset == 0x80000000ULL);
	/* --layout auto does not conflict. */
	PARSE_OK("-k", "v", "-L", "auto", "-r", "0:1M", "m");
	assert_int_equal(o.layout, LAYOUT_EXPLICIT);
	/* A named layout does, in either order. */
	PARSE_BAD("exclude each other", "-k", "v", "--region", "0:1M",
		  "--layout", "q35", "m");
	assert_non_null(strstr(err, "q35"));
	PARSE_BAD("exclude each other", "-k", "v", "-L", "flat", "-r", "0:1M",
		  "m");
	/* A bad region: the parser's message, naming it. */
	PARSE_BAD("--region 0x:1M", "-k", "v", "-r", "0x:1M", "m");
	PARSE_BAD("bad SIZE", "-k", "v", "-r", "0:zz", "m");
	/* At most OPTIONS_MAX_REGIONS. */
	static char *argv[2 * OPTIONS_MAX_REGIONS + 8];
	static char bufs[OPTIONS_MAX_REGIONS + 1][32];
	for (int extra = 0; extra < 2; extra++) {
		int argc = 0, nr = OPTIONS_MAX_REGIONS + extra;
		argv[argc++] = "lkstub";
		argv[argc++] = "-k";
		argv[argc++] = "v";
		for (int i = 0; i < nr; i++) {
			snprintf(bufs[i], sizeof(bufs[i]), "%#x:4K", i * 0x1000);
			argv[argc++] = "-r";
			argv[argc++] = bufs[i];
		}
		argv[argc++] = "m";
		argv[argc] = NULL;
		err[0] = '\0';
		int rc = options_parse(&o, argc, argv, err);
		if (!extra) {
			assert_int_equal(rc, 0);
			assert_int_equal(o.nr_regions, OPTIONS_MAX_REGIONS);
			assert_true(o.regions[OPTIONS_MAX_REGIONS - 1].gpa ==
				    (OPTIONS_MAX_REGIONS - 1) * 0x1000);
		} else {
			assert_int_equal(rc, -1);
			char want[32];
			snprintf(want, sizeof(want), "--region: at most %d",
				 OPTIONS_MAX_REGIONS);
			assert_non_null(strstr(err, want));
		}
	}
}

static void test_wait(void **state)
{
	(void)state;
	PARSE_OK("-k", "v", "--wait", "m");
	assert_true(o.wait);
	assert_int_equal(o.wait_seconds, 0);
	PARSE_OK("-k", "v", "--wait=30", "m");
	assert_true(o.wait);
	assert_int_equal(o.wait_seconds, 30);
	PARSE_OK("-k", "v", "--wait=0x10", "m");
	assert_int_equal(o.wait_seconds, 16);
	PARSE_OK("-k", "v", "--wait=31536000", "m"); /* a year */
	assert_int_equal(o.wait_seconds, 31536000);
	PARSE_BAD("--wait=31536001", "-k", "v", "--wait=31536001", "m");
	PARSE_BAD("--wait=abc", "-k", "v", "--wait=abc", "m");
	PARSE_BAD("--wait=-1", "-k", "v", "--wait=-1", "m");
	PARSE_BAD("--wait= -1", "-k", "v", "--wait= -1", "m");
	PARSE_BAD("--wait=: expected seconds", "-k", "v", "--wait=", "m");
	PARSE_BAD("--wait=99999999999999999999", "-k", "v",
		  "--wait=99999999999999999999", "m");
	/* The argument is optional: a separate word is MEMORY. */
	PARSE_BAD("unexpected argument m", "-k", "v", "--wait", "30", "m");
}

static void test_offsets(void **state)
{
	(void)state;
	PARSE_OK("-k", "v", "--kaslr-offset", "0x2e400000", "m");
	assert_true(o.discover.have_kaslr_offset);
	assert_false(o.discover.have_phys_base);
	assert_true(o.discover.kaslr_offset == 0x2e400000ULL);
	PARSE_OK("-k", "v", "--phys-base", "-629145600", "m");
	assert_true(o.discover.have_phys_base);
	assert_false(o.discover.have_kaslr_offset);
	assert_true(o.discover.phys_base == (uint64_t)-629145600LL);
	assert_true(o.discover.phys_base == 0xffffffffda800000ULL);
	PARSE_OK("-k", "v", "--phys-base=-0x25800000", "--kaslr-offset=0",
		 "m");
	assert_true(o.discover.phys_base == 0xffffffffda800000ULL);
	assert_true(o.discover.have_kaslr_offset);
	assert_true(o.discover.kaslr_offset == 0);
	PARSE_OK("-k", "v", "--kaslr-offset", "0xffffffffffffffff", "m");
	assert_true(o.discover.kaslr_offset == UINT64_MAX);
	PARSE_OK("-k", "v", "--kaslr-offset", "010", "m"); /* C octal */
	assert_true(o.discover.kaslr_offset == 8);

	PARSE_BAD("--kaslr-offset 12z: not a number", "-k", "v",
		  "--kaslr-offset", "12z", "m");
	PARSE_BAD("--kaslr-offset : not a number", "-k", "v",
		  "--kaslr-offset", "", "m");
	PARSE_BAD("--kaslr-offset 0x10000000000000000: not a number", "-k",
		  "v", "--kaslr-offset", "0x10000000000000000", "m");
	PARSE_BAD("--phys-base -: not a number", "-k", "v", "--phys-base",
		  "-", "m");
	PARSE_BAD("--phys-base -9223372036854775809: not a number", "-k", "v",
		  "--phys-base", "-9223372036854775809", "m");
	PARSE_BAD("--phys-base 1.5: not a number", "-k", "v", "--phys-base",
		  "1.5", "m");
}

static void test_errors_name_the_argument(void **state)
{
	(void)state;
	PARSE_BAD("unknown option --bogus", "-k", "v", "--bogus", "m");
	PARSE_BAD("unknown option --bogus=1", "-k", "v", "--bogus=1", "m");
	PARSE_BAD("unknown option -x", "-k", "v", "-x", "m");
	PARSE_BAD("-k needs an argument", "m", "-k");
	PARSE_BAD("--vmlinux needs an argument", "m", "--vmlinux");
	PARSE_BAD("--listen needs an argument", "-k", "v", "m", "--listen");
	PARSE_BAD("--kaslr-offset needs an argument", "-k", "v", "m",
		  "--kaslr-offset");
	PARSE_BAD("--write", "-k", "v", "--write=yes", "m");
	PARSE_BAD("--layout q36: expected auto, flat, q35, pc or virt", "-k",
		  "v", "-L", "q36", "m");
	PARSE_BAD("--layout explicit", "-k", "v", "--layout", "explicit",
		  "m");
	PARSE_BAD("--discover guess: expected auto, vmcoreinfo or banner",
		  "-k", "v", "--discover", "guess", "m");
	PARSE_BAD("MEMORY (the guest RAM file) is missing", "-k", "v");
	PARSE_BAD("MEMORY", "-k", "v", "-w");
	PARSE_BAD("unexpected argument b", "-k", "v", "a", "b");
	PARSE_BAD("unexpected argument b", "a", "b", "c", "-k", "v");
	PARSE_BAD("--vmlinux FILE is required", "m");
	PARSE_BAD("--vmlinux FILE is required", "-w", "m");
	PARSE_BAD("--listen: empty address", "-k", "v", "-l", "", "m");
	/* Errors leave nothing half-done to trip a caller: err is set. */
	assert_true(err[0] != '\0');
}

/* An unknown letter inside a cluster of short options: the message must
 * name that argument, not the one before it. */
/* --qmp goes with a RAM file or pid:PID; its options need it. */
static void test_qmp_options(void **state)
{
	(void)state;
	PARSE_OK("-k", "v", "--qmp", "s", "ram");
	PARSE_OK("-k", "v", "--qmp", "s", "pid:1");
	PARSE_OK("-k", "v", "--qmp", "s", "--control", "--mmio", "ram");
	assert_true(o.control && o.mmio && !o.no_pause);
	PARSE_BAD("--no-pause needs --qmp", "-k", "v", "--no-pause", "ram");
	PARSE_BAD("--control needs --qmp", "-k", "v", "--control", "ram");
	PARSE_BAD("--mmio needs --qmp", "-k", "v", "--mmio", "ram");
	PARSE_BAD("exclude each other", "-k", "v", "--qmp", "s", "--control",
		  "--no-pause", "ram");
	PARSE_BAD("exclude each other", "-k", "v", "--qmp", "s", "-r",
		  "0:1M@0x1000", "pid:1");
}

static void test_unknown_in_cluster(void **state)
{
	(void)state;
	/* Last in its cluster: the argument or the letter is named. */
	assert_int_equal(parse("-k", "v", "-wx", "m", NULL), -1);
	if (strcmp(err, "unknown option -wx") &&
	    strcmp(err, "unknown option -x"))
		fail_msg("error \"%s\" names neither -wx nor -x", err);
	/* First in its cluster: getopt has not moved past the argument,
	 * so argv[optind - 1] is the one before it ("v"). */
	PARSE_BAD("unknown option -x", "-k", "v", "-xw", "m");
}

/* options_parse can be called again (tests, a re-exec): no state from an
 * earlier parse that stopped inside a cluster of short options leaks. */
static void test_reparse_after_early_return(void **state)
{
	(void)state;
	PARSE_OK("-hw");
	assert_true(o.help);
	assert_false(o.write);
	PARSE_OK("-k", "v", "m");
	assert_false(o.write);
	assert_false(o.help);
	assert_string_equal(o.memory, "m");
	PARSE_BAD("unknown", "-xw", "-k", "v", "m");
	PARSE_OK("-k", "v", "m");
	assert_false(o.write);
}

/* Every test starts from a fresh getopt (optind = 0 reinitializes glibc's
 * getopt), so that one test that trips over leaked state cannot make the
 * others fail. test_reparse_after_early_return checks options_parse itself
 * does this. */
static int fresh_getopt(void **state)
{
	(void)state;
	optind = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, fresh_getopt),
		cmocka_unit_test_setup(test_each_option, fresh_getopt),
		cmocka_unit_test_setup(test_usage_options_all_parse, fresh_getopt),
		cmocka_unit_test_setup(test_regions, fresh_getopt),
		cmocka_unit_test_setup(test_wait, fresh_getopt),
		cmocka_unit_test_setup(test_offsets, fresh_getopt),
		cmocka_unit_test_setup(test_errors_name_the_argument, fresh_getopt),
		cmocka_unit_test_setup(test_qmp_options, fresh_getopt),
		cmocka_unit_test_setup(test_unknown_in_cluster, fresh_getopt),
		cmocka_unit_test_setup(test_reparse_after_early_return, fresh_getopt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
