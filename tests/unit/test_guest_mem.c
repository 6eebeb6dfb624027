/* Unit tests for translate/guest_mem.c, mem_buffer.c and mem_file.c. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "tests/unit/synth_pt.h"

static void assert_region(const struct guest_region *r, uint64_t gpa,
			  uint64_t size, uint64_t offset)
{
	assert_non_null(r);
	assert_int_equal(r->gpa, gpa);
	assert_int_equal(r->size, size);
	assert_int_equal(r->offset, offset);
}

static void test_regions_sorted(void **state)
{
	(void)state;
	struct synth s;
	synth_open(&s, 0x10000, false);
	synth_region(&s, 0x30000, 0x1000, 0x3000);
	synth_region(&s, 0x10000, 0x1000, 0x1000);
	synth_region(&s, 0x50000, 0x1000, 0x5000);
	synth_region(&s, 0x00000, 0x1000, 0x0000);
	synth_region(&s, 0x40000, 0x1000, 0x4000);
	assert_int_equal(s.mem.nr_regions, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_region(&s.mem.regions[i], 0x10000ULL * (i < 2 ? i : i + 1),
			      0x1000, 0x1000ULL * (i < 2 ? i : i + 1));
	assert_int_equal(guest_mem_end(&s.mem), 0x51000);
	guest_mem_clear_regions(&s.mem);
	assert_int_equal(s.mem.nr_regions, 0);
	assert_int_equal(guest_mem_end(&s.mem), 0);
	assert_null(guest_mem_find(&s.mem, 0));
	synth_close(&s);
}

static void test_regions_overlap_refused(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN];
	synth_open(&s, 0x10000, false);
	synth_region(&s, 0x2000, 0x2000, 0);      /* [0x2000, 0x4000) */
	synth_region(&s, 0x8000, 0x1000, 0x2000); /* [0x8000, 0x9000) */
	static const struct {
		uint64_t gpa, size;
	} bad[] = {
		{ 0x1000, 0x1001 }, /* into the head of the first */
		{ 0x3fff, 0x1 },    /* last byte of the first */
		{ 0x2000, 0x2000 }, /* same range */
		{ 0x2800, 0x100 },  /* inside */
		{ 0x1000, 0x4000 }, /* around */
		{ 0x0000, 0x9000 }, /* around both */
		{ 0x7000, 0x1001 }, /* into the head of the second */
		{ 0x8fff, 0x10 },   /* tail of the second */
		{ 0x3000, 0x6000 }, /* tail of one to the head of the other */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(guest_mem_add_region(&s.mem, bad[i].gpa,
						      bad[i].size, 0x4000,
						      err), -1);
		assert_non_null(strstr(err, "overlaps"));
		assert_int_equal(s.mem.nr_regions, 2);
	}
	/* Touching is fine, on both sides. */
	synth_region(&s, 0x1000, 0x1000, 0x4000);
	synth_region(&s, 0x4000, 0x4000, 0x5000);
	synth_region(&s, 0x9000, 0x1000, 0x9000);
	assert_int_equal(s.mem.nr_regions, 5);
	assert_region(&s.mem.regions[0], 0x1000, 0x1000, 0x4000);
	assert_region(&s.mem.regions[2], 0x4000, 0x4000, 0x5000);
	assert_region(&s.mem.regions[4], 0x9000, 0x1000, 0x9000);
	synth_close(&s);
}

static void test_regions_bad_args(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN];
	synth_open(&s, 0x10000, false);

	/* Beyond the source. */
	assert_int_equal(guest_mem_add_region(&s.mem, 0, 0x10001, 0, err), -1);
	assert_non_null(strstr(err, "past the end"));
	assert_int_equal(guest_mem_add_region(&s.mem, 0, 0x1000, 0xf001, err),
			 -1);
	assert_int_equal(guest_mem_add_region(&s.mem, 0, 1, 0x10000, err), -1);
	assert_int_equal(guest_mem_add_region(&s.mem, 0, 0x100,
					      UINT64_MAX - 0x10, err), -1);
	assert_int_equal(guest_mem_add_region(&s.mem, 0, UINT64_MAX, 1, err),
			 -1);
	/* Zero size. */
	err[0] = 0;
	assert_int_equal(guest_mem_add_region(&s.mem, 0x1000, 0, 0, err), -1);
	assert_non_null(strstr(err, "size 0"));
	/* Wraps past the top of the address space; a region ending exactly
	 * at 2^64 is refused too (its end is not representable). */
	err[0] = 0;
	assert_int_equal(guest_mem_add_region(&s.mem, UINT64_MAX - 0xfff,
					      0x2000, 0, err), -1);
	assert_non_null(strstr(err, "wraps"));
	assert_int_equal(guest_mem_add_region(&s.mem, UINT64_MAX - 0xfff,
					      0x1000, 0, err), -1);
	assert_int_equal(s.mem.nr_regions, 0);

	/* Exactly the source, at the top of the address space. */
	synth_region(&s, UINT64_MAX - 0x10000, 0x10000, 0);
	assert_int_equal(guest_mem_end(&s.mem), UINT64_MAX);
	synth_close(&s);
}

/* Thousands of regions (real dumps have them) in any order, found by
 * binary search. */
static void test_regions_many(void **state)
{
	(void)state;
	struct synth s;
	enum { N = 4096 };
	synth_open(&s, 0x1000, false);
	for (unsigned i = 0; i < N; i++) /* descending: every insert moves */
		synth_region(&s, 0x2000ULL * (N - i), 0x1000, 0);
	assert_int_equal(s.mem.nr_regions, N);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(s.mem.regions[i].gpa, 0x2000ULL * (i + 1));
		uint64_t g = 0x2000ULL * (i + 1);
		assert_ptr_equal(guest_mem_find(&s.mem, g), &s.mem.regions[i]);
		assert_ptr_equal(guest_mem_find(&s.mem, g + 0xfff),
				 &s.mem.regions[i]);
		assert_null(guest_mem_find(&s.mem, g + 0x1000));
		assert_null(guest_mem_find(&s.mem, g - 1));
	}
	synth_close(&s);
}

/* The bound holds and says so. */
static void test_regions_max(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN];
	synth_open(&s, 0x1000, false);
	for (unsigned i = 0; i < GUEST_MAX_REGIONS; i++)
		synth_region(&s, 0x1000ULL * i, 0x1000, 0);
	assert_int_equal(s.mem.nr_regions, GUEST_MAX_REGIONS);
	assert_int_equal(guest_mem_add_region(&s.mem, 0x1000ULL *
					      GUEST_MAX_REGIONS, 0x1000, 0, err),
			 -1);
	assert_non_null(strstr(err, "memory regions"));
	assert_int_equal(s.mem.nr_regions, GUEST_MAX_REGIONS);
	synth_close(&s);
}

/* A view tried aside and dropped leaves the memory as it was; swapped in,
 * the memory has the view's regions and RAM window. */
static void test_view_swap(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN];
	synth_open(&s, 0x10000, false);
	synth_region(&s, 0x0, 0x10000, 0);
	s.mem.ram_base = 0;
	s.mem.ram_size = 0x10000;

	struct guest_mem v;
	assert_int_equal(guest_mem_view(&v, &s.mem, err), 0);
	guest_mem_clear_regions(&v);
	assert_int_equal(guest_mem_add_region(&v, 0x100000, 0x8000, 0x8000,
					      err), 0);
	v.ram_base = 0x8000;
	v.ram_size = 0x8000;
	assert_int_equal(s.mem.nr_regions, 1); /* untouched */
	assert_int_equal(s.mem.regions[0].gpa, 0);
	guest_mem_close_view(&v);
	assert_int_equal(s.mem.nr_regions, 1);
	assert_non_null(guest_mem_find(&s.mem, 0x1000));

	assert_int_equal(guest_mem_view(&v, &s.mem, err), 0);
	guest_mem_clear_regions(&v);
	assert_int_equal(guest_mem_add_region(&v, 0x100000, 0x8000, 0x8000,
					      err), 0);
	v.ram_base = 0x8000;
	v.ram_size = 0x8000;
	guest_mem_swap_view(&s.mem, &v);
	guest_mem_close_view(&v);
	assert_null(guest_mem_find(&s.mem, 0x1000));
	assert_non_null(guest_mem_find(&s.mem, 0x100000));
	assert_int_equal(s.mem.ram_base, 0x8000);
	assert_int_equal(s.mem.ram_size, 0x8000);
	uint8_t b;
	assert_int_equal(guest_mem_read(&s.mem, 0x100000, &b, 1), 1);
	synth_close(&s);
}

/* A view of memory that has no regions yet (a RAM file before the
 * layout is chosen): empty, then regions of its own. */
static void test_view_of_no_regions(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN];
	synth_open(&s, 0x10000, false);
	assert_int_equal(s.mem.nr_regions, 0);
	struct guest_mem v;
	assert_int_equal(guest_mem_view(&v, &s.mem, err), 0);
	assert_int_equal(v.nr_regions, 0);
	assert_int_equal(guest_mem_add_region(&v, 0, 0x10000, 0, err), 0);
	guest_mem_swap_view(&s.mem, &v);
	guest_mem_close_view(&v);
	assert_int_equal(s.mem.nr_regions, 1);
	assert_non_null(guest_mem_find(&s.mem, 0x1000));
	synth_close(&s);
}

static void test_find_edges(void **state)
{
	(void)state;
	struct synth s;
	synth_open(&s, 0x10000, false);
	synth_region(&s, 0x1000, 0x1000, 0x0000); /* [0x1000, 0x2000) */
	synth_region(&s, 0x2000, 0x0800, 0x4000); /* [0x2000, 0x2800) */
	synth_region(&s, 0x5000, 0x1000, 0x8000); /* [0x5000, 0x6000) */
	const struct guest_region *r = s.mem.regions;

	assert_null(guest_mem_find(&s.mem, 0));
	assert_null(guest_mem_find(&s.mem, 0xfff));
	assert_ptr_equal(guest_mem_find(&s.mem, 0x1000), &r[0]);
	assert_ptr_equal(guest_mem_find(&s.mem, 0x1fff), &r[0]);
	assert_ptr_equal(guest_mem_find(&s.mem, 0x2000), &r[1]);
	assert_ptr_equal(guest_mem_find(&s.mem, 0x27ff), &r[1]);
	assert_null(guest_mem_find(&s.mem, 0x2800));
	assert_null(guest_mem_find(&s.mem, 0x4fff));
	assert_ptr_equal(guest_mem_find(&s.mem, 0x5000), &r[2]);
	assert_ptr_equal(guest_mem_find(&s.mem, 0x5fff), &r[2]);
	assert_null(guest_mem_find(&s.mem, 0x6000));
	assert_null(guest_mem_find(&s.mem, UINT64_MAX));

	assert_int_equal(guest_mem_avail(&s.mem, 0xfff), 0);
	assert_int_equal(guest_mem_avail(&s.mem, 0x1000), 0x1000);
	assert_int_equal(guest_mem_avail(&s.mem, 0x1fff), 1);
	assert_int_equal(guest_mem_avail(&s.mem, 0x2000), 0x800);
	assert_int_equal(guest_mem_avail(&s.mem, 0x2800), 0);
	assert_int_equal(guest_mem_avail(&s.mem, 0x5ff8), 8);
	assert_int_equal(guest_mem_end(&s.mem), 0x6000);
	synth_close(&s);
}

/* Regions at GPA [0x1000,0x2000) @0x3000 and [0x2000,0x3000) @0x0000
 * (adjacent in GPA, swapped in the source), a hole, [0x4000,0x5000)
 * @0x1000. */
static void open_split(struct synth *s, bool writable)
{
	synth_open(s, 0x4000, writable);
	synth_fill(s, 1);
	synth_region(s, 0x1000, 0x1000, 0x3000);
	synth_region(s, 0x2000, 0x1000, 0x0000);
	synth_region(s, 0x4000, 0x1000, 0x1000);
}

static void test_read_adjacent_regions(void **state)
{
	(void)state;
	struct synth s;
	uint8_t buf[0x2000];
	open_split(&s, false);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(guest_mem_read(&s.mem, 0x1800, buf, 0x1000), 0x1000);
	assert_memory_equal(buf, s.buf + 0x3800, 0x800);
	assert_memory_equal(buf + 0x800, s.buf + 0x0000, 0x800);
	/* Both regions whole. */
	assert_int_equal(guest_mem_read(&s.mem, 0x1000, buf, 0x2000), 0x2000);
	assert_memory_equal(buf, s.buf + 0x3000, 0x1000);
	assert_memory_equal(buf + 0x1000, s.buf, 0x1000);
	/* One byte on each side of the boundary. */
	assert_int_equal(guest_mem_read(&s.mem, 0x1fff, buf, 2), 2);
	assert_int_equal(buf[0], s.buf[0x3fff]);
	assert_int_equal(buf[1], s.buf[0x0000]);
	assert_int_equal(guest_mem_read(&s.mem, 0x1000, buf, 0), 0);
	synth_close(&s);
}

static void test_read_hole(void **state)
{
	(void)state;
	struct synth s;
	uint8_t buf[0x3000];
	open_split(&s, false);
	memset(buf, 0xa5, sizeof(buf));
	/* Runs into the hole at 0x3000: the bytes before it. */
	assert_int_equal(guest_mem_read(&s.mem, 0x2ff0, buf, 0x100), 0x10);
	assert_memory_equal(buf, s.buf + 0xff0, 0x10);
	assert_int_equal(buf[0x10], 0xa5); /* nothing written past it */
	/* Starts in the hole / before the first region / past the end. */
	assert_int_equal(guest_mem_read(&s.mem, 0x3000, buf, 0x10), 0);
	assert_int_equal(guest_mem_read(&s.mem, 0x3fff, buf, 0x2000), 0);
	assert_int_equal(guest_mem_read(&s.mem, 0x0, buf, 0x2000), 0);
	assert_int_equal(guest_mem_read(&s.mem, 0x5000, buf, 1), 0);
	assert_int_equal(guest_mem_read(&s.mem, UINT64_MAX, buf, 2), 0);
	/* Across two regions and then a hole. */
	assert_int_equal(guest_mem_read(&s.mem, 0x1ffc, buf, 0x3000), 0x1004);
	assert_memory_equal(buf, s.buf + 0x3ffc, 4);
	assert_memory_equal(buf + 4, s.buf, 0x1000);
	/* The region after the hole reads from its own offset. */
	assert_int_equal(guest_mem_read(&s.mem, 0x4ff0, buf, 0x20), 0x10);
	assert_memory_equal(buf, s.buf + 0x1ff0, 0x10);
	synth_close(&s);
}

static void test_read_u64(void **state)
{
	(void)state;
	struct synth s;
	uint64_t v, want;
	open_split(&s, false);
	assert_true(guest_mem_read_u64(&s.mem, 0x1000, &v));
	memcpy(&want, s.buf + 0x3000, 8);
	assert_int_equal(v, want);
	assert_true(guest_mem_read_u64(&s.mem, 0x1ff8, &v));
	memcpy(&want, s.buf + 0x3ff8, 8);
	assert_int_equal(v, want);
	assert_true(guest_mem_read_u64(&s.mem, 0x4ff8, &v));
	memcpy(&want, s.buf + 0x1ff8, 8);
	assert_int_equal(v, want);
	/* The last 7 bytes of a region: not a single access, refused even
	 * when the next region is adjacent in GPA. */
	for (uint64_t g = 0x4ff9; g < 0x5000; g++) {
		v = 0x1234;
		assert_false(guest_mem_read_u64(&s.mem, g, &v));
		assert_int_equal(v, 0x1234);
	}
	for (uint64_t g = 0x2ff9; g < 0x3000; g++)
		assert_false(guest_mem_read_u64(&s.mem, g, &v));
	assert_false(guest_mem_read_u64(&s.mem, 0x3000, &v));
	assert_false(guest_mem_read_u64(&s.mem, 0xff8, &v));
	assert_false(guest_mem_read_u64(&s.mem, UINT64_MAX - 7, &v));
	synth_close(&s);
}

static void test_write_readonly(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN] = "";
	uint8_t copy[0x4000];
	open_split(&s, false);
	memcpy(copy, s.buf, sizeof(copy));
	assert_int_equal(guest_mem_write(&s.mem, 0x1000, "abcd", 4, err), -1);
	assert_non_null(strstr(err, "read-only"));
	assert_memory_equal(copy, s.buf, sizeof(copy));
	synth_close(&s);
}

static void test_write_all_or_nothing(void **state)
{
	(void)state;
	struct synth s;
	char err[ERR_LEN] = "";
	uint8_t copy[0x4000], data[0x2000];
	open_split(&s, true);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);

	/* Crossing from two regions into the hole at 0x3000: nothing. */
	memcpy(copy, s.buf, sizeof(copy));
	assert_int_equal(guest_mem_write(&s.mem, 0x1800, data, 0x1801, err),
			 -1);
	assert_non_null(strstr(err, "0x3000"));
	assert_memory_equal(copy, s.buf, sizeof(copy));
	/* Starting in a hole, or running off the last region. */
	assert_int_equal(guest_mem_write(&s.mem, 0x3000, data, 1, err), -1);
	assert_int_equal(guest_mem_write(&s.mem, 0x4fff, data, 2, err), -1);
	assert_int_equal(guest_mem_write(&s.mem, UINT64_MAX, data, 2, err),
			 -1);
	assert_memory_equal(copy, s.buf, sizeof(copy));

	/* Across the two GPA-adjacent regions: each part at its offset. */
	assert_int_equal(guest_mem_write(&s.mem, 0x1800, data, 0x1000, err),
			 0);
	assert_memory_equal(s.buf + 0x3800, data, 0x800);
	assert_memory_equal(s.buf + 0x0000, data + 0x800, 0x800);
	assert_memory_equal(s.buf + 0x800, copy + 0x800, 0x2800);
	assert_memory_equal(s.buf + 0x3000, copy + 0x3000, 0x800);
	/* Zero bytes is fine anywhere writable. */
	assert_int_equal(guest_mem_write(&s.mem, 0x1000, data, 0, err), 0);
	synth_close(&s);
}

static void test_close_resets(void **state)
{
	(void)state;
	struct guest_mem m;
	char err[ERR_LEN];
	uint8_t buf[64];
	assert_int_equal(guest_mem_open_buffer(&m, buf, sizeof(buf), true,
					       err), 0);
	assert_int_equal(m.src_size, sizeof(buf));
	assert_true(m.writable);
	assert_null(guest_mem_failure(&m));
	guest_mem_close(&m);
	assert_null(m.ops);
	assert_int_equal(m.nr_regions, 0);
	assert_null(guest_mem_failure(&m));
}

/* ---- mem_file ---- */

#define FILE_SIZE (64 * 1024)

/* cmocka installs its own SIGBUS handler around every test (and restores
 * the previous one after it), while mem_file.c installs its handler once
 * per process, on the first guest_mem_open_file. main() captures that
 * handler before cmocka runs; the SIGBUS tests put it back (in a child,
 * below), as it is in lkstub where nothing else touches SIGBUS. */
static struct sigaction lkstub_sigbus;

static void capture_lkstub_sigbus(void)
{
	char path[] = "/tmp/lkstub-test-XXXXXX", err[ERR_LEN];
	int fd = mkstemp(path);
	struct guest_mem m;
	if (fd < 0 || write(fd, "x", 1) != 1 ||
	    guest_mem_open_file(&m, path, false, err)) {
		fprintf(stderr, "cannot set up a RAM file in /tmp\n");
		exit(1);
	}
	guest_mem_close(&m);
	close(fd);
	unlink(path);
	sigaction(SIGBUS, NULL, &lkstub_sigbus);
}

static int make_temp(char *path, size_t size, uint8_t *pattern)
{
	strcpy(path, "/tmp/lkstub-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	uint64_t seed = 42;
	for (size_t i = 0; i < size; i++)
		pattern[i] = (uint8_t)synth_rand(&seed);
	assert_int_equal(pwrite(fd, pattern, size, 0), (ssize_t)size);
	return fd;
}

static void test_file_read(void **state)
{
	(void)state;
	char path[64], err[ERR_LEN] = "";
	static uint8_t pattern[FILE_SIZE], buf[FILE_SIZE];
	int fd = make_temp(path, FILE_SIZE, pattern);
	struct guest_mem m;
	assert_int_equal(guest_mem_open_file(&m, path, false, err), 0);
	assert_int_equal(m.src_size, FILE_SIZE);
	assert_false(m.writable);
	assert_int_equal(guest_mem_add_region(&m, 0x100000, FILE_SIZE / 2,
					      FILE_SIZE / 2, err), 0);
	assert_int_equal(guest_mem_add_region(&m, 0x200000, FILE_SIZE / 2, 0,
					      err), 0);
	assert_int_equal(guest_mem_read(&m, 0x100000, buf, FILE_SIZE / 2),
			 FILE_SIZE / 2);
	assert_memory_equal(buf, pattern + FILE_SIZE / 2, FILE_SIZE / 2);
	assert_int_equal(guest_mem_read(&m, 0x200003, buf, 100), 100);
	assert_memory_equal(buf, pattern + 3, 100);
	/* Scalar sizes (single loads), aligned and not. */
	for (size_t n = 1; n <= 8; n++) {
		assert_int_equal(guest_mem_read(&m, 0x200008, buf, n), n);
		assert_memory_equal(buf, pattern + 8, n);
		assert_int_equal(guest_mem_read(&m, 0x200011, buf, n), n);
		assert_memory_equal(buf, pattern + 0x11, n);
	}
	uint64_t v, want;
	assert_true(guest_mem_read_u64(&m, 0x200010, &v));
	memcpy(&want, pattern + 0x10, 8);
	assert_int_equal(v, want);
	/* Runs off the end of the second region. */
	assert_int_equal(guest_mem_read(&m, 0x200000 + FILE_SIZE / 2 - 4, buf,
					16), 4);
	/* Read-only: writes refused, file unchanged. */
	assert_int_equal(guest_mem_write(&m, 0x200000, "x", 1, err), -1);
	assert_null(guest_mem_failure(&m));
	guest_mem_close(&m);
	assert_int_equal(pread(fd, buf, FILE_SIZE, 0), FILE_SIZE);
	assert_memory_equal(buf, pattern, FILE_SIZE);
	close(fd);
	unlink(path);
}

static void test_file_write(void **state)
{
	(void)state;
	char path[64], err[ERR_LEN] = "";
	static uint8_t pattern[FILE_SIZE], buf[FILE_SIZE];
	int fd = make_temp(path, FILE_SIZE, pattern);
	struct guest_mem m;
	assert_int_equal(guest_mem_open_file(&m, path, true, err), 0);
	assert_true(m.writable);
	assert_int_equal(guest_mem_add_region(&m, 0, FILE_SIZE, 0, err), 0);
	assert_int_equal(guest_mem_write(&m, 0x1234, "hello", 5, err), 0);
	/* Shared mapping: the file sees it. */
	assert_int_equal(pread(fd, buf, 5, 0x1234), 5);
	assert_memory_equal(buf, "hello", 5);
	/* And the mapping sees writes to the file (the guest's). */
	assert_int_equal(pwrite(fd, "world", 5, 0x2000), 5);
	assert_int_equal(guest_mem_read(&m, 0x2000, buf, 5), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(guest_mem_write(&m, FILE_SIZE - 2, "abc", 3, err),
			 -1);
	assert_int_equal(pread(fd, buf, 2, FILE_SIZE - 2), 2);
	assert_memory_equal(buf, pattern + FILE_SIZE - 2, 2);
	guest_mem_close(&m);
	close(fd);
	unlink(path);
}

/* The accesses that meet the truncated file run in a child process, so
 * that a SIGBUS the guard fails to catch shows up as a failed test instead
 * of killing the test binary. The child records what it saw in shared
 * memory and uses no cmocka assertions. */
struct shrink_result {
	int stage;  /* last step the child finished */
	size_t got; /* guest_mem_read past the new end */
	bool u64_ok;
	size_t got_all;
	int write_rc;
	char why[ERR_LEN * 2];
	char write_err[ERR_LEN];
};

static void copy_str(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s ? s : "");
}

static struct shrink_result *run_shrink_child(struct guest_mem *m,
					      void (*body)(struct guest_mem *,
							   struct shrink_result *))
{
	struct shrink_result *r = mmap(NULL, sizeof(*r),
				       PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r != MAP_FAILED);
	memset(r, 0, sizeof(*r));
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* As in lkstub: mem_file.c's handler, not cmocka's. */
		sigaction(SIGBUS, &lkstub_sigbus, NULL);
		body(m, r);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d (%s) after step %d: the "
			 "SIGBUS guard in mem_file.c did not catch the fault",
			 WTERMSIG(status), strsignal(WTERMSIG(status)),
			 r->stage);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return r;
}

static void shrink_read_body(struct guest_mem *m, struct shrink_result *r)
{
	static uint8_t buf[FILE_SIZE];
	char err[ERR_LEN] = "";
	uint64_t v;
	r->got = guest_mem_read(m, FILE_SIZE * 3 / 4, buf, 64);
	r->stage = 1;
	copy_str(r->why, sizeof(r->why), guest_mem_failure(m));
	r->u64_ok = guest_mem_read_u64(m, FILE_SIZE - 8, &v);
	r->stage = 2;
	r->got_all = guest_mem_read(m, 0, buf, FILE_SIZE);
	r->stage = 3;
	r->write_rc = guest_mem_write(m, FILE_SIZE - 8, "x", 1, err);
	copy_str(r->write_err, sizeof(r->write_err), err);
	r->stage = 4;
}

static void test_file_shrinks(void **state)
{
	(void)state;
	char path[64], err[ERR_LEN] = "";
	static uint8_t pattern[FILE_SIZE], buf[FILE_SIZE];
	int fd = make_temp(path, FILE_SIZE, pattern);
	struct guest_mem m;
	assert_int_equal(guest_mem_open_file(&m, path, true, err), 0);
	assert_int_equal(guest_mem_add_region(&m, 0, FILE_SIZE, 0, err), 0);
	assert_int_equal(guest_mem_read(&m, 0, buf, FILE_SIZE), FILE_SIZE);
	assert_null(guest_mem_failure(&m));

	/* The VM exits and the file shrinks under the mapping. */
	assert_int_equal(ftruncate(fd, FILE_SIZE / 2), 0);
	struct shrink_result *r = run_shrink_child(&m, shrink_read_body);
	assert_int_equal(r->stage, 4);
	assert_true(r->got < 64);
	assert_non_null(strstr(r->why, "shrank"));
	assert_non_null(strstr(r->why, path));
	char sizes[64];
	snprintf(sizes, sizeof(sizes), "from %d to %d bytes", FILE_SIZE,
		 FILE_SIZE / 2);
	assert_non_null(strstr(r->why, sizes));
	/* The source stays failed: reads and writes refused. */
	assert_false(r->u64_ok);
	assert_true(r->got_all < FILE_SIZE);
	assert_int_equal(r->write_rc, -1);
	assert_non_null(strstr(r->write_err, "shrank"));
	munmap(r, sizeof(*r));
	guest_mem_close(&m);
	close(fd);
	unlink(path);
}

static void shrink_write_body(struct guest_mem *m, struct shrink_result *r)
{
	char err[ERR_LEN] = "";
	r->write_rc = guest_mem_write(m, FILE_SIZE - 16, "abc", 3, err);
	r->stage = 1;
	copy_str(r->write_err, sizeof(r->write_err), err);
	copy_str(r->why, sizeof(r->why), guest_mem_failure(m));
	r->stage = 2;
}

static void test_file_shrinks_on_write(void **state)
{
	(void)state;
	char path[64], err[ERR_LEN] = "";
	static uint8_t pattern[FILE_SIZE];
	int fd = make_temp(path, FILE_SIZE, pattern);
	struct guest_mem m;
	assert_int_equal(guest_mem_open_file(&m, path, true, err), 0);
	assert_int_equal(guest_mem_add_region(&m, 0, FILE_SIZE, 0, err), 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	struct shrink_result *r = run_shrink_child(&m, shrink_write_body);
	assert_int_equal(r->stage, 2);
	assert_int_equal(r->write_rc, -1);
	assert_non_null(strstr(r->why, "shrank"));
	assert_non_null(strstr(r->write_err, "shrank"));
	munmap(r, sizeof(*r));
	guest_mem_close(&m);
	close(fd);
	unlink(path);
}

static void test_file_open_errors(void **state)
{
	(void)state;
	char err[ERR_LEN] = "";
	struct guest_mem m;
	const char *missing = "/tmp/lkstub-test-does-not-exist/ram";
	assert_int_equal(guest_mem_open_file(&m, missing, false, err), -1);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_null(m.ops);

	err[0] = 0;
	assert_int_equal(guest_mem_open_file(&m, "/tmp", false, err), -1);
	assert_non_null(strstr(err, "/tmp"));

	char path[64];
	strcpy(path, "/tmp/lkstub-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	err[0] = 0;
	assert_int_equal(guest_mem_open_file(&m, path, false, err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "empty"));
	close(fd);
	unlink(path);
}

int main(void)
{
	capture_lkstub_sigbus();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions_sorted),
		cmocka_unit_test(test_regions_overlap_refused),
		cmocka_unit_test(test_regions_bad_args),
		cmocka_unit_test(test_regions_many),
		cmocka_unit_test(test_regions_max),
		cmocka_unit_test(test_view_swap),
		cmocka_unit_test(test_view_of_no_regions),
		cmocka_unit_test(test_find_edges),
		cmocka_unit_test(test_read_adjacent_regions),
		cmocka_unit_test(test_read_hole),
		cmocka_unit_test(test_read_u64),
		cmocka_unit_test(test_write_readonly),
		cmocka_unit_test(test_write_all_or_nothing),
		cmocka_unit_test(test_close_resets),
		cmocka_unit_test(test_file_read),
		cmocka_unit_test(test_file_write),
		cmocka_unit_test(test_file_shrinks),
		cmocka_unit_test(test_file_shrinks_on_write),
		cmocka_unit_test(test_file_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
