/* Unit tests for translate/layout.c. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/layout.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static void test_lowmem(void **state)
{
	(void)state;
	/* q35: 2 GiB below 4G once RAM reaches 0xb0000000, else all of it. */
	assert_int_equal(layout_lowmem(LAYOUT_Q35, 512 * MiB), 512 * MiB);
	assert_int_equal(layout_lowmem(LAYOUT_Q35, 2 * GiB), 2 * GiB);
	assert_int_equal(layout_lowmem(LAYOUT_Q35, 0xafffffffULL),
			 0xafffffffULL);
	assert_int_equal(layout_lowmem(LAYOUT_Q35, 0xb0000000ULL), 2 * GiB);
	assert_int_equal(layout_lowmem(LAYOUT_Q35, 4 * GiB), 2 * GiB);
	assert_int_equal(layout_lowmem(LAYOUT_Q35, 64 * GiB), 2 * GiB);
	/* pc: 3 GiB once RAM reaches 0xe0000000. */
	assert_int_equal(layout_lowmem(LAYOUT_PC, 512 * MiB), 512 * MiB);
	assert_int_equal(layout_lowmem(LAYOUT_PC, 0xb0000000ULL),
			 0xb0000000ULL);
	assert_int_equal(layout_lowmem(LAYOUT_PC, 0xdfffffffULL),
			 0xdfffffffULL);
	assert_int_equal(layout_lowmem(LAYOUT_PC, 0xe0000000ULL), 3 * GiB);
	assert_int_equal(layout_lowmem(LAYOUT_PC, 8 * GiB), 3 * GiB);
	/* Others have no PCI hole split. */
	assert_int_equal(layout_lowmem(LAYOUT_FLAT, 8 * GiB), 8 * GiB);
	assert_int_equal(layout_lowmem(LAYOUT_VIRT, 8 * GiB), 8 * GiB);
}

static void assert_region(const struct guest_mem *m, unsigned i, uint64_t gpa,
			  uint64_t size, uint64_t offset)
{
	assert_true(i < m->nr_regions);
	const struct guest_region *r = &m->regions[i];
	assert_int_equal(r->gpa, gpa);
	assert_int_equal(r->size, size);
	assert_int_equal(r->offset, offset);
}

/* A buffer source that claims size bytes: layout_apply only does
 * bookkeeping, nothing here reads through it. */
static uint8_t dummy[4096];

static void apply(struct guest_mem *m, uint64_t size, enum layout_kind kind)
{
	char err[ERR_LEN] = "";
	assert_int_equal(guest_mem_open_buffer(m, dummy, (size_t)size, false,
					       err), 0);
	/* Stale regions are replaced. */
	assert_int_equal(guest_mem_add_region(m, 0, 1, 0, err), 0);
	if (layout_apply(m, kind, err))
		fail_msg("layout_apply(%s, %#llx): %s", layout_name(kind),
			 (unsigned long long)size, err);
}

static void test_apply_flat_virt(void **state)
{
	(void)state;
	static const uint64_t sizes[] = { 4 * KiB, 1 * MiB, 3 * GiB,
					  16 * GiB + 4 * KiB };
	struct guest_mem m;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		apply(&m, sizes[i], LAYOUT_FLAT);
		assert_int_equal(m.nr_regions, 1);
		assert_region(&m, 0, 0, sizes[i], 0);
		assert_int_equal(guest_mem_end(&m), sizes[i]);
		guest_mem_close(&m);

		apply(&m, sizes[i], LAYOUT_VIRT);
		assert_int_equal(m.nr_regions, 1);
		assert_region(&m, 0, 0x40000000ULL, sizes[i], 0);
		assert_null(guest_mem_find(&m, 0x3fffffffULL));
		guest_mem_close(&m);
	}
}

static void test_apply_q35(void **state)
{
	(void)state;
	struct guest_mem m;
	static const uint64_t small[] = { 128 * MiB, 2 * GiB,
					  0xb0000000ULL - 4 * KiB };
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		apply(&m, small[i], LAYOUT_Q35);
		assert_int_equal(m.nr_regions, 1);
		assert_region(&m, 0, 0, small[i], 0);
		guest_mem_close(&m);
	}
	apply(&m, 0xb0000000ULL, LAYOUT_Q35);
	assert_int_equal(m.nr_regions, 2);
	assert_region(&m, 0, 0, 2 * GiB, 0);
	assert_region(&m, 1, 4 * GiB, 0x30000000ULL, 2 * GiB);
	guest_mem_close(&m);

	apply(&m, 8 * GiB, LAYOUT_Q35);
	assert_int_equal(m.nr_regions, 2);
	assert_region(&m, 0, 0, 2 * GiB, 0);
	assert_region(&m, 1, 4 * GiB, 6 * GiB, 2 * GiB);
	assert_null(guest_mem_find(&m, 2 * GiB));
	assert_null(guest_mem_find(&m, 4 * GiB - 1));
	assert_int_equal(guest_mem_end(&m), 10 * GiB);
	guest_mem_close(&m);
}

static void test_apply_pc(void **state)
{
	(void)state;
	struct guest_mem m;
	apply(&m, 0xdfffffffULL, LAYOUT_PC);
	assert_int_equal(m.nr_regions, 1);
	assert_region(&m, 0, 0, 0xdfffffffULL, 0);
	guest_mem_close(&m);

	apply(&m, 0xe0000000ULL, LAYOUT_PC);
	assert_int_equal(m.nr_regions, 2);
	assert_region(&m, 0, 0, 3 * GiB, 0);
	assert_region(&m, 1, 4 * GiB, 0x20000000ULL, 3 * GiB);
	guest_mem_close(&m);

	apply(&m, 4 * GiB, LAYOUT_PC);
	assert_int_equal(m.nr_regions, 2);
	assert_region(&m, 0, 0, 3 * GiB, 0);
	assert_region(&m, 1, 4 * GiB, 1 * GiB, 3 * GiB);
	guest_mem_close(&m);
}

static void test_apply_refused(void **state)
{
	(void)state;
	struct guest_mem m;
	char err[ERR_LEN] = "";
	assert_int_equal(guest_mem_open_buffer(&m, dummy, sizeof(dummy), false,
					       err), 0);
	assert_int_equal(layout_apply(&m, LAYOUT_AUTO, err), -1);
	assert_non_null(strstr(err, "auto"));
	assert_int_equal(m.nr_regions, 0);
	assert_int_equal(layout_apply(&m, LAYOUT_EXPLICIT, err), -1);
	assert_non_null(strstr(err, "explicit"));
	guest_mem_close(&m);
}

/* A real 3 GiB (sparse) RAM file with the q35 layout: GPA 4G reads file
 * offset 2G. */
static void test_apply_q35_file(void **state)
{
	(void)state;
	char path[] = "/tmp/lkstub-test-XXXXXX", err[ERR_LEN] = "";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint64_t size = 3 * GiB;
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	static const struct {
		uint64_t off;
		const char *mark;
	} marks[] = {
		{ 0, "low-start" },
		{ 2 * GiB - 8, "lowend!!" },
		{ 2 * GiB, "high-start" },
		{ 3 * GiB - 8, "highend!" },
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(pwrite(fd, marks[i].mark,
					strlen(marks[i].mark),
					(off_t)marks[i].off),
				 (ssize_t)strlen(marks[i].mark));
	struct guest_mem m;
	assert_int_equal(guest_mem_open_file(&m, path, false, err), 0);
	assert_int_equal(m.src_size, size);
	assert_int_equal(layout_apply(&m, LAYOUT_Q35, err), 0);
	assert_int_equal(m.nr_regions, 2);
	static const uint64_t gpas[] = { 0, 2 * GiB - 8, 4 * GiB,
					 5 * GiB - 8 };
	char buf[32];
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(marks[i].mark);
		memset(buf, 0, sizeof(buf));
		assert_int_equal(guest_mem_read(&m, gpas[i], buf, n), n);
		assert_string_equal(buf, marks[i].mark);
	}
	/* The PCI hole and beyond the end read nothing. */
	assert_int_equal(guest_mem_read(&m, 2 * GiB, buf, 1), 0);
	assert_int_equal(guest_mem_read(&m, 4 * GiB - 1, buf, 2), 0);
	assert_int_equal(guest_mem_read(&m, 5 * GiB - 4, buf, 8), 4);
	guest_mem_close(&m);
	close(fd);
	unlink(path);
}

static void test_parse_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum layout_kind kind;
	} ok[] = {
		{ "auto", LAYOUT_AUTO }, { "flat", LAYOUT_FLAT },
		{ "q35", LAYOUT_Q35 },   { "pc", LAYOUT_PC },
		{ "virt", LAYOUT_VIRT },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		enum layout_kind k = LAYOUT_EXPLICIT;
		assert_int_equal(layout_parse(ok[i].name, &k), 0);
		assert_int_equal(k, ok[i].kind);
		assert_string_equal(layout_name(ok[i].kind), ok[i].name);
	}
	static const char *const bad[] = { "explicit", "", "Q35", "q35 ",
					   "pc-q35", "flatx", "vir" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum layout_kind k = LAYOUT_Q35;
		assert_int_equal(layout_parse(bad[i], &k), -1);
		assert_int_equal(k, LAYOUT_Q35); /* untouched */
	}
	assert_string_equal(layout_name(LAYOUT_EXPLICIT), "explicit");
	assert_string_equal(layout_name((enum layout_kind)99), "?");
}

static void parse_ok(const char *arg, uint64_t gpa, uint64_t size,
		     uint64_t offset)
{
	struct guest_region r = { 1, 2, 3 };
	char err[ERR_LEN] = "";
	if (layout_parse_region(arg, &r, err))
		fail_msg("layout_parse_region(\"%s\"): %s", arg, err);
	assert_int_equal(r.gpa, gpa);
	assert_int_equal(r.size, size);
	assert_int_equal(r.offset, offset);
}

static void parse_bad(const char *arg, const char *why)
{
	struct guest_region r = { 1, 2, 3 };
	char err[ERR_LEN] = "";
	if (!layout_parse_region(arg, &r, err))
		fail_msg("layout_parse_region(\"%s\") accepted: %#llx:%#llx@"
			 "%#llx", arg, (unsigned long long)r.gpa,
			 (unsigned long long)r.size,
			 (unsigned long long)r.offset);
	if (!strstr(err, why))
		fail_msg("layout_parse_region(\"%s\"): \"%s\" lacks \"%s\"",
			 arg, err, why);
	/* The input is quoted back. */
	assert_non_null(strstr(err, arg));
	assert_int_equal(r.gpa, 1);
	assert_int_equal(r.size, 2);
	assert_int_equal(r.offset, 3);
}

static void test_parse_region(void **state)
{
	(void)state;
	parse_ok("0:0x1000", 0, 0x1000, LAYOUT_OFFSET_NEXT);
	parse_ok("0x100000000:0x40000000@0x80000000", 4 * GiB, 1 * GiB,
		 2 * GiB);
	parse_ok("4096:8192@0", 4096, 8192, 0);
	parse_ok("010:010", 8, 8, LAYOUT_OFFSET_NEXT); /* C octal */
	parse_ok("0:4K", 0, 4 * KiB, LAYOUT_OFFSET_NEXT);
	parse_ok("0:4k", 0, 4 * KiB, LAYOUT_OFFSET_NEXT);
	parse_ok("0:512M", 0, 512 * MiB, LAYOUT_OFFSET_NEXT);
	parse_ok("0:512m@0x1000", 0, 512 * MiB, 0x1000);
	parse_ok("0x100000000:6G@2147483648", 4 * GiB, 6 * GiB, 2 * GiB);
	parse_ok("0:1g", 0, 1 * GiB, LAYOUT_OFFSET_NEXT);
	parse_ok("0:0x10M", 0, 16 * MiB, LAYOUT_OFFSET_NEXT);
	parse_ok("0xffffffffffffffff:1", UINT64_MAX, 1, LAYOUT_OFFSET_NEXT);
	parse_ok("0:0x3ffffffffG", 0, 0x3ffffffffULL * GiB,
		 LAYOUT_OFFSET_NEXT);

	parse_bad("", "expected GPA:SIZE");
	parse_bad("0x1000", "expected GPA:SIZE");
	parse_bad(":0x1000", "expected GPA:SIZE");
	parse_bad("zz:0x1000", "expected GPA:SIZE");
	parse_bad("-1:0x1000", "expected GPA:SIZE");
	parse_bad("+1:0x1000", "expected GPA:SIZE");
	parse_bad(" 1:0x1000", "expected GPA:SIZE");
	parse_bad("0x10000000000000000:1", "expected GPA:SIZE");
	parse_bad("0:", "bad SIZE");
	parse_bad("0:-1", "bad SIZE");
	parse_bad("0:x", "bad SIZE");
	parse_bad("0:0x10000000000000000", "bad SIZE");
	parse_bad("0:0", "SIZE is 0");
	parse_bad("0:0G", "SIZE is 0");
	parse_bad("0:0x400000000G", "too large");
	parse_bad("0:0xffffffffffffffffK", "too large");
	parse_bad("0:17179869184G", "too large");
	parse_bad("0:1T", "trailing");
	parse_bad("0:1KB", "trailing");
	parse_bad("0:1 ", "trailing");
	parse_bad("0:0x1000@", "bad OFFSET");
	parse_bad("0:0x1000@-5", "bad OFFSET");
	parse_bad("0:0x1000@x", "bad OFFSET");
	parse_bad("0:0x1000@0x10000000000000000", "bad OFFSET");
	parse_bad("0:0x1000@0x1000x", "trailing");
	parse_bad("0:0x1000@4K", "trailing"); /* no suffix on OFFSET */
	parse_bad("0:0x1000@1@2", "trailing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowmem),
		cmocka_unit_test(test_apply_flat_virt),
		cmocka_unit_test(test_apply_q35),
		cmocka_unit_test(test_apply_pc),
		cmocka_unit_test(test_apply_refused),
		cmocka_unit_test(test_apply_q35_file),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_parse_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
