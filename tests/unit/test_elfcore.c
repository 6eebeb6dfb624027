/* Unit tests for translate/mem_elfcore.c and elfcore_notes.c (ELF dumps)
 * and for how stub/cli/memory_arg.c gives CPUs their registers, on cores
 * from tests/unit/synth_core.h. */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "stub/cli/memory_arg.h"
#include "symbols/kernel.h"
#include "translate/mem_elfcore.h"
#include "tests/unit/synth_core.h"

#define PAGE 0x1000

/* Write the first len bytes of the core to a temporary file. */
static void write_core(const uint8_t *img, size_t len, char *path)
{
	strcpy(path, "/tmp/lkstub-test-core-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img, len), (ssize_t)len);
	close(fd);
}

/* Build the core, write len bytes of it (0: all), open it quietly. */
static int open_core(const struct sc_core *d, size_t len, struct guest_mem *m,
		     struct elfcore_notes *n, char *err)
{
	size_t size;
	uint8_t *img = sc_build(d, &size);
	char path[64];
	write_core(img, len ? len : size, path);
	free(img);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	unlink(path);
	return guest_mem_open_elfcore_fd(m, fd, "core", true, n, err);
}

static void assert_bytes(const struct guest_mem *m, uint64_t gpa, size_t len)
{
	uint8_t *buf = malloc(len), *want = malloc(len);
	assert_non_null(buf);
	assert_non_null(want);
	for (size_t i = 0; i < len; i++)
		want[i] = sc_byte(gpa + i);
	assert_int_equal(guest_mem_read(m, gpa, buf, len), len);
	assert_memory_equal(buf, want, len);
	free(buf);
	free(want);
}

static void test_loads_and_holes(void **state)
{
	(void)state;
	const struct sc_load loads[] = {
		{ 0, 0xa0000, 0xa0000, NULL, -1, false },
		/* Zero past p_filesz; the next one follows it in GPA. */
		{ 0x100000, 0x200000, 0x100000, NULL, -1, false },
		{ 0x300000, PAGE, PAGE, NULL, -1, false },
	};
	struct sc_core d = { .loads = loads, .nr_loads = 3 };
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	assert_int_equal(open_core(&d, 0, &m, &n, err), 0);
	assert_int_equal(n.machine, EM_X86_64);
	assert_int_equal(n.nr_warnings, 0);
	assert_int_equal(m.nr_regions, 2);
	assert_int_equal(m.regions[0].gpa, 0);
	assert_int_equal(m.regions[0].size, 0xa0000);
	assert_int_equal(m.regions[1].gpa, 0x100000);
	assert_int_equal(m.regions[1].size, 0x201000);
	assert_bytes(&m, 0x1234, 100);
	assert_bytes(&m, 0, 0xa0000);
	uint8_t buf[16], zero[8] = { 0 };
	assert_int_equal(guest_mem_read(&m, 0x1ffffc, buf, 8), 8);
	assert_int_equal(buf[0], sc_byte(0x1ffffc));
	assert_int_equal(buf[3], sc_byte(0x1fffff));
	assert_memory_equal(buf + 4, zero, 4);
	assert_bytes(&m, 0x300000, PAGE);
	assert_int_equal(guest_mem_read(&m, 0x300ff8, buf, 16), 8);
	assert_int_equal(guest_mem_read(&m, 0xa0000, buf, 1), 0);
	uint64_t u, want = 0;
	for (int i = 0; i < 8; i++)
		want |= (uint64_t)sc_byte(0x300008 + i) << (8 * i);
	assert_true(guest_mem_read_u64(&m, 0x300008, &u));
	assert_int_equal(u, want);
	assert_null(guest_mem_failure(&m));
	guest_mem_close(&m);
	elfcore_notes_free(&n);
}

/* A kdump's kernel-text PT_LOAD repeats part of a RAM one; makedumpfile
 * splits ranges with overlaps; zero-filled ones can meet. Same bytes:
 * merged, and what reaches past the others is served. */
static void test_overlap_same_bytes(void **state)
{
	(void)state;
	const struct sc_load loads[] = {
		{ 0x1010000, 0x20000, 0x20000, NULL, -1, false },
		{ 0x1000000, 0x200000, 0x200000, NULL, -1, false },
		/* Over the end of the one above (and, once that one's tail
		 * is in, over two pieces). */
		{ 0x11ff000, 0x3000, 0x3000, NULL, -1, false },
		{ 0x11fe000, 0x5000, 0x5000, NULL, -1, false },
		{ 0x1100000, PAGE, PAGE, NULL, -1, false },
		/* Zero-filled ones meeting. */
		{ 0x2000000, 0x10000, 0, NULL, -1, false },
		{ 0x2008000, 0x10000, 0, NULL, -1, false },
	};
	struct sc_core d = { .loads = loads, .nr_loads = 7 };
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	assert_int_equal(open_core(&d, 0, &m, &n, err), 0);
	assert_int_equal(n.nr_merged, 5);
	assert_int_equal(n.nr_warnings, 0);
	assert_int_equal(m.nr_regions, 2);
	assert_int_equal(m.regions[0].gpa, 0x1000000);
	assert_int_equal(m.regions[0].size, 0x203000);
	assert_int_equal(m.regions[1].gpa, 0x2000000);
	assert_int_equal(m.regions[1].size, 0x18000);
	assert_bytes(&m, 0x1000000, 0x203000);
	static uint8_t buf[0x18000], zero[0x18000];
	assert_int_equal(guest_mem_read(&m, 0x2000000, buf, sizeof(buf)),
			 sizeof(buf));
	assert_memory_equal(buf, zero, sizeof(buf));
	guest_mem_close(&m);
	elfcore_notes_free(&n);
}

static void test_overlap_conflict(void **state)
{
	(void)state;
	static uint8_t other[PAGE];
	for (int i = 0; i < PAGE; i++)
		other[i] = sc_byte(0x2000 + i);
	other[0x10] ^= 0xff;
	struct sc_load loads[] = {
		{ 0x1000, 0x2000, 0x2000, NULL, -1, false },
		{ 0x2000, PAGE, PAGE, other, -1, false },
	};
	struct sc_core d = { .loads = loads, .nr_loads = 2 };
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	assert_int_equal(open_core(&d, 0, &m, &n, err), -1);
	assert_string_equal(err, "core: PT_LOAD 1 (GPA 0x1000-0x3000) and "
			    "PT_LOAD 2 (GPA 0x2000-0x3000) overlap with "
			    "different bytes (at GPA 0x2010)");
	assert_null(m.ops);
	assert_null(n.cpus);
	/* Zeros (past p_filesz) over bytes that are not. */
	loads[1] = (struct sc_load){ 0x2800, PAGE, 0, NULL, -1, false };
	assert_int_equal(open_core(&d, 0, &m, &n, err), -1);
	assert_non_null(strstr(err, "PT_LOAD 2 (GPA 0x2800-0x3800)"));
	assert_non_null(strstr(err, "(at GPA 0x2800)"));
}

/* makedumpfile -E writes a PT_LOAD per run of kept pages: thousands; past
 * 65535 the count goes to section 0 (PN_XNUM). */
static void test_many_loads(void **state)
{
	(void)state;
	for (int xnum = 0; xnum < 2; xnum++) {
		unsigned nr = xnum ? 70000 : 5000;
		uint64_t step = xnum ? 0x40 : 2 * PAGE, len = xnum ? 16 : PAGE;
		struct sc_load *loads = calloc(nr, sizeof(*loads));
		assert_non_null(loads);
		for (unsigned i = 0; i < nr; i++)
			loads[i] = (struct sc_load){ i * step, len, len, NULL,
						     -1, false };
		struct sc_core d = { .xnum = xnum, .loads = loads,
				     .nr_loads = nr };
		struct guest_mem m;
		struct elfcore_notes n;
		char err[ERR_LEN] = "";
		assert_int_equal(open_core(&d, 0, &m, &n, err), 0);
		assert_int_equal(m.nr_regions, nr);
		assert_int_equal(n.nr_warnings, 0);
		for (unsigned i = 0; i < nr; i += nr / 7)
			assert_bytes(&m, i * step, len);
		assert_bytes(&m, (nr - 1) * step, len);
		uint8_t b;
		assert_int_equal(guest_mem_read(&m, len, &b, 1), 0);
		guest_mem_close(&m);
		elfcore_notes_free(&n);
		free(loads);
	}
}

/* A dump cut short (disk full, a copy interrupted): what is in the file
 * is served, and a warning says which GPAs are not. */
static void test_truncated_file(void **state)
{
	(void)state;
	const struct sc_load loads[] = {
		{ 0, 0x4000, 0x4000, NULL, -1, false },
		{ 0x10000, 0x4000, 0x4000, NULL, -1, false },
		{ 0x20000, 0x4000, 0x4000, NULL, -1, false },
	};
	struct sc_core d = { .loads = loads, .nr_loads = 3 };
	size_t size;
	uint8_t *img = sc_build(&d, &size);
	free(img);
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	/* The second one's first page is in the file, the third not. */
	assert_int_equal(open_core(&d, size - 0x7000, &m, &n, err), 0);
	assert_int_equal(n.nr_warnings, 2);
	assert_string_equal(n.warning, "core: PT_LOAD 2 (GPA 0x10000-0x14000) "
			    "ends past the end of the file (truncated dump?): "
			    "GPA 0x11000-0x14000 not served");
	assert_int_equal(m.nr_regions, 2);
	assert_bytes(&m, 0, 0x4000);
	assert_bytes(&m, 0x10000, PAGE);
	uint8_t b;
	assert_int_equal(guest_mem_read(&m, 0x11000, &b, 1), 0);
	assert_int_equal(guest_mem_read(&m, 0x20000, &b, 1), 0);
	guest_mem_close(&m);
	elfcore_notes_free(&n);
}

static void expect_error(const struct sc_core *d, const uint8_t *patch,
			 size_t patch_off, size_t patch_len, const char *want)
{
	size_t size;
	uint8_t *img = sc_build(d, &size);
	if (patch)
		memcpy(img + patch_off, patch, patch_len);
	char path[64], err[ERR_LEN] = "";
	write_core(img, size, path);
	free(img);
	struct guest_mem m;
	struct elfcore_notes n;
	if (guest_mem_open_elfcore(&m, path, &n, err) != -1)
		fail_msg("opened, expected \"%s\"", want);
	unlink(path);
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_non_null(strstr(err, path));
	assert_null(m.ops);
}

static void test_bad_headers(void **state)
{
	(void)state;
	struct sc_load loads[] = { { PAGE, PAGE, 2 * PAGE, NULL, -1, false } };
	struct sc_core d = { .loads = loads, .nr_loads = 1 };
	expect_error(&d, NULL, 0, 0, "PT_LOAD 1 (GPA 0x1000): file size "
		     "0x2000 exceeds memory size 0x1000");
	loads[0] = (struct sc_load){ 0xfffffffffffff000ULL, 2 * PAGE, 0,
				     NULL, -1, false };
	expect_error(&d, NULL, 0, 0, "wraps past the top");
	loads[0] = (struct sc_load){ 0, PAGE, PAGE, NULL, -1, false };
	uint8_t v = ELFCLASS32;
	expect_error(&d, &v, EI_CLASS, 1, "a 32-bit little-endian ELF dump");
	v = ELFDATA2MSB;
	expect_error(&d, &v, EI_DATA, 1, "big-endian");
	uint16_t t = ET_EXEC;
	expect_error(&d, (uint8_t *)&t, offsetof(Elf64_Ehdr, e_type), 2,
		     "not an ELF core (e_type 2)");
	t = 40;
	expect_error(&d, (uint8_t *)&t, offsetof(Elf64_Ehdr, e_phentsize), 2,
		     "program headers of 40 bytes");
	expect_error(&d, (const uint8_t *)"junk", 0, 4, "not an ELF file");
	struct sc_core none = { 0 };
	expect_error(&none, NULL, 0, 0, "no PT_LOAD segment");
	/* e_shnum 0 and section 0 claiming 2^32 - 1 sections. */
	d.xnum = true;
	size_t size;
	uint8_t *img = sc_build(&d, &size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	uint64_t big = 0xffffffffULL;
	eh->e_shnum = 0;
	memcpy(img + eh->e_shoff + offsetof(Elf64_Shdr, sh_size), &big, 8);
	char path[64], err[ERR_LEN] = "";
	write_core(img, size, path);
	free(img);
	struct guest_mem m;
	struct elfcore_notes n;
	assert_int_equal(guest_mem_open_elfcore(&m, path, &n, err), -1);
	unlink(path);
	assert_non_null(strstr(err, "more than 65535 sections"));
}

/* QEMU x86_64 dump, 4 vCPUs: NT_PRSTATUS pr_pid 1..4, registers from
 * 0x100 * (vCPU + 1), then the QEMU notes (cr3 0x1000 * (vCPU + 1)). */
static uint8_t prs[4][SC_PRSTATUS_X86_64], qemu[4][SC_QEMU_X86];
static const char vmci[] = "OSRELEASE=6.1.0\nPAGESIZE=4096\n";
static struct sc_note notes[9];

static void qemu_notes(void)
{
	for (unsigned i = 0; i < 4; i++) {
		sc_prstatus_x86_64(prs[i], i + 1, 0x100 * (i + 1));
		sc_qemu_x86(qemu[i], 0x1000 * (i + 1));
		notes[i] = (struct sc_note){ "CORE", NT_PRSTATUS, prs[i],
					     SC_PRSTATUS_X86_64 };
		notes[4 + i] = (struct sc_note){ "QEMU", 0, qemu[i],
						 SC_QEMU_X86 };
	}
	notes[8] = (struct sc_note){ "VMCOREINFO", 0, vmci, sizeof(vmci) };
}

static const struct sc_load one_load[] = { { 0, PAGE, PAGE, NULL, -1,
					     false } };

static uint64_t reg(const struct saved_regs *r, const char *name)
{
	for (unsigned i = 0; i < r->n; i++)
		if (!strcmp(r->r[i].name, name))
			return r->r[i].value;
	fail_msg("no register %s", name);
	return 0;
}

static void assert_cpu(const struct elfcore_notes *n, unsigned cpu,
		       unsigned idx, unsigned vcpu)
{
	const struct elfcore_cpu *c = elfcore_cpu_notes(n, cpu, idx);
	assert_non_null(c);
	struct saved_regs r;
	assert_int_equal(kernel_x86_64.prstatus_regs(c->prstatus.desc,
						     c->prstatus.len, &r), 0);
	assert_int_equal(reg(&r, "rip"), 0x100 * (vcpu + 1) + 16);
	assert_int_equal(kernel_x86_64.qemu_cpu_note(c->qemu.desc, c->qemu.len,
						     &r), 0);
	assert_int_equal(reg(&r, "cr3"), 0x1000 * (vcpu + 1));
}

static void test_notes_qemu(void **state)
{
	(void)state;
	qemu_notes();
	notes[1].descsz = 20; /* vCPU 1's: no room for pr_pid */
	struct sc_core d = { .notes = notes, .nr_notes = 9,
			     .loads = one_load, .nr_loads = 1 };
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	assert_int_equal(open_core(&d, 0, &m, &n, err), 0);
	assert_true(n.by_pr_pid);
	assert_int_equal(n.nr_prstatus, 4);
	assert_int_equal(n.nr_cpus, 3);
	assert_int_equal(n.nr_warnings, 1);
	assert_string_equal(n.warning, "NT_PRSTATUS note 1 is 20 bytes, too "
			    "short to say its vCPU (pr_pid): left out");
	assert_cpu(&n, 0, 0, 0);
	assert_null(elfcore_cpu_notes(&n, 1, 1));
	assert_cpu(&n, 2, 2, 2);
	assert_cpu(&n, 3, 3, 3);
	/* By CPU number, not by position among the online ones. */
	assert_cpu(&n, 2, 1, 2);
	assert_null(elfcore_cpu_notes(&n, 4, 3));
	assert_int_equal(n.vmcoreinfo.len, sizeof(vmci));
	assert_memory_equal(n.vmcoreinfo.desc, vmci, sizeof(vmci));
	guest_mem_close(&m);
	elfcore_notes_free(&n);

	/* pr_pid out of range, then twice the same: those left out. */
	qemu_notes();
	uint32_t bad = 0;
	memcpy(prs[0] + 32, &bad, 4);
	bad = 3;
	memcpy(prs[3] + 32, &bad, 4);
	assert_int_equal(open_core(&d, 0, &m, &n, err), 0);
	assert_int_equal(n.nr_cpus, 2);
	assert_int_equal(n.nr_warnings, 2);
	assert_string_equal(n.warning, "NT_PRSTATUS note 0: pr_pid 0 is not "
			    "a vCPU index + 1 (1..8192): left out");
	assert_null(elfcore_cpu_notes(&n, 0, 0));
	assert_cpu(&n, 1, 1, 1);
	assert_cpu(&n, 2, 2, 2);
	assert_null(elfcore_cpu_notes(&n, 3, 3));
	guest_mem_close(&m);
	elfcore_notes_free(&n);
}

/* The kernel's own notes: pr_pid is a task's pid (0 when idle), the
 * notes are in the order of the CPUs. */
static void test_notes_kernel_order(void **state)
{
	(void)state;
	static const uint32_t pids[4] = { 0, 0, 1234, 0 };
	struct sc_note kn[4];
	for (unsigned i = 0; i < 4; i++) {
		sc_prstatus_x86_64(prs[i], pids[i], 0x100 * (i + 1));
		kn[i] = (struct sc_note){ "CORE", NT_PRSTATUS, prs[i],
					  SC_PRSTATUS_X86_64 };
	}
	kn[1].descsz = 100; /* wrong size: CPU 1 gets no registers */
	struct sc_core d = { .notes = kn, .nr_notes = 4, .loads = one_load,
			     .nr_loads = 1 };
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	assert_int_equal(open_core(&d, 0, &m, &n, err), 0);
	assert_false(n.by_pr_pid);
	assert_int_equal(n.nr_cpus, 4);
	assert_int_equal(n.nr_warnings, 0);
	struct saved_regs r;
	for (unsigned i = 0; i < 4; i++) {
		const struct elfcore_cpu *c = elfcore_cpu_notes(&n, 40 + i, i);
		assert_non_null(c);
		int rc = kernel_x86_64.prstatus_regs(c->prstatus.desc,
						     c->prstatus.len, &r);
		assert_int_equal(rc, i == 1 ? -1 : 0);
		if (!rc)
			assert_int_equal(reg(&r, "rip"), 0x100 * (i + 1) + 16);
	}
	assert_null(elfcore_cpu_notes(&n, 4, 4));
	guest_mem_close(&m);
	elfcore_notes_free(&n);
}

/* memory_arg_cpu_regs: each online CPU its own registers; a bad note
 * costs its CPU alone, an offline vCPU shifts nothing. */
static void cpu_regs_of(const struct memory_arg *ma, const uint16_t *online,
			unsigned nr_online, struct kernel_target *kt)
{
	free(kt->cpu_regs);
	free(kt->cpu_ctl);
	kt->cpu_regs = kt->cpu_ctl = NULL;
	kt->nr_cpu_regs = kt->nr_cpu_ctl = 0;
	kt->ki.arch = &kernel_x86_64;
	kt->nr_cpus = nr_online;
	memcpy(kt->cpus, online, nr_online * sizeof(online[0]));
	memory_arg_cpu_regs(ma, kt);
}

static void assert_cpu_regs(const struct kernel_target *kt, unsigned idx,
			    int vcpu)
{
	if (vcpu < 0) {
		assert_true(idx >= kt->nr_cpu_regs || !kt->cpu_regs[idx].n);
		return;
	}
	assert_true(idx < kt->nr_cpu_regs);
	assert_int_equal(reg(&kt->cpu_regs[idx], "rip"),
			 0x100 * (vcpu + 1) + 16);
	assert_true(idx < kt->nr_cpu_ctl);
	assert_int_equal(reg(&kt->cpu_ctl[idx], "cr3"), 0x1000 * (vcpu + 1));
}

static void test_cpu_regs(void **state)
{
	(void)state;
	static struct kernel_target kt;
	static struct guest_mem m;
	static struct options o;
	static struct memory_arg ma;
	static const uint16_t all[4] = { 0, 1, 2, 3 }, no1[3] = { 0, 2, 3 };
	qemu_notes();
	notes[1].descsz = 20; /* vCPU 1's: no room for pr_pid */
	struct sc_core d = { .notes = notes, .nr_notes = 9,
			     .loads = one_load, .nr_loads = 1 };
	size_t size;
	uint8_t *img = sc_build(&d, &size);
	char path[64], err[ERR_LEN] = "";
	write_core(img, size, path);
	free(img);
	o.memory = path;
	assert_int_equal(memory_arg_open(&ma, &m, &o, err), 0);
	unlink(path);
	kt.mem = &m;
	cpu_regs_of(&ma, all, 4, &kt);
	assert_cpu_regs(&kt, 0, 0);
	assert_cpu_regs(&kt, 1, -1);
	assert_cpu_regs(&kt, 2, 2);
	assert_cpu_regs(&kt, 3, 3);
	/* vCPU 1 offline in the guest: CPU 2 is the second online one. */
	cpu_regs_of(&ma, no1, 3, &kt);
	assert_cpu_regs(&kt, 0, 0);
	assert_cpu_regs(&kt, 1, 2);
	assert_cpu_regs(&kt, 2, 3);
	free(kt.cpu_regs);
	free(kt.cpu_ctl);
	guest_mem_close(&m);
	elfcore_notes_free(&ma.notes);
}

/* cmocka installs its own SIGBUS handler around every test; main() keeps
 * lkstub's (installed by the first open) for the child below. */
static struct sigaction lkstub_sigbus;

struct shrink_result {
	int stage;
	size_t got_before, got_after, got_zero_tail;
	bool vmci_intact;
	char why[ERR_LEN * 2];
};

/* The dump is truncated under lkstub: reads fail, never a crash; the
 * notes were copied out and stay readable. */
static void test_truncated_under_lkstub(void **state)
{
	(void)state;
	qemu_notes();
	const struct sc_load loads[] = {
		{ 0, 0x40000, 0x40000, NULL, -1, false },
		{ 0x100000, 0x2000, PAGE, NULL, -1, false },
	};
	struct sc_core d = { .notes = notes, .nr_notes = 9, .loads = loads,
			     .nr_loads = 2 };
	size_t size;
	uint8_t *img = sc_build(&d, &size);
	char path[64], err[ERR_LEN] = "";
	write_core(img, size, path);
	free(img);
	struct guest_mem m;
	struct elfcore_notes n;
	assert_int_equal(guest_mem_open_elfcore(&m, path, &n, err), 0);
	struct shrink_result *r = mmap(NULL, sizeof(*r),
				       PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(r != MAP_FAILED);
	memset(r, 0, sizeof(*r));
	assert_int_equal(truncate(path, 4096), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static uint8_t buf[0x40000];
		sigaction(SIGBUS, &lkstub_sigbus, NULL);
		r->got_before = guest_mem_read(&m, 0x3f000, buf, 0x1000);
		r->stage = 1;
		snprintf(r->why, sizeof(r->why), "%s",
			 guest_mem_failure(&m) ?: "");
		r->got_after = guest_mem_read(&m, 0, buf, 0x100);
		r->got_zero_tail = guest_mem_read(&m, 0x101000, buf, 16);
		r->vmci_intact = n.vmcoreinfo.len == sizeof(vmci) &&
				 !memcmp(n.vmcoreinfo.desc, vmci, sizeof(vmci));
		r->stage = 2;
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d after step %d: the SIGBUS "
			 "guard did not catch the fault", WTERMSIG(status),
			 r->stage);
	assert_int_equal(r->stage, 2);
	assert_int_equal(r->got_before, 0);
	char want[160];
	snprintf(want, sizeof(want), "ELF dump %s shrank from %zu to 4096 "
		 "bytes", path, size);
	if (!strstr(r->why, want))
		fail_msg("failure \"%s\" lacks \"%s\"", r->why, want);
	/* Failed for good: even bytes still in the file, and zero fill. */
	assert_int_equal(r->got_after, 0);
	assert_int_equal(r->got_zero_tail, 0);
	assert_true(r->vmci_intact);
	munmap(r, sizeof(*r));
	guest_mem_close(&m);
	elfcore_notes_free(&n);
	unlink(path);
}

static void test_is_core(void **state)
{
	(void)state;
	struct sc_core d = { .loads = one_load, .nr_loads = 1 };
	size_t size;
	uint8_t *img = sc_build(&d, &size);
	char path[64];
	write_core(img, size, path);
	assert_true(elfcore_is_core(path));
	unlink(path);
	img[EI_CLASS] = ELFCLASS32; /* still a core: open says why not */
	write_core(img, size, path);
	assert_true(elfcore_is_core(path));
	unlink(path);
	Elf64_Half exec = ET_EXEC;
	img[EI_CLASS] = ELFCLASS64;
	memcpy(img + offsetof(Elf64_Ehdr, e_type), &exec, 2);
	write_core(img, size, path);
	assert_false(elfcore_is_core(path));
	unlink(path);
	write_core(img, 10, path);
	assert_false(elfcore_is_core(path));
	unlink(path);
	assert_false(elfcore_is_core("/tmp/lkstub-test-does-not-exist"));
	free(img);
}

int main(void)
{
	/* The first open installs lkstub's SIGBUS handler: keep it. */
	struct sc_core d = { .loads = one_load, .nr_loads = 1 };
	size_t size;
	uint8_t *img = sc_build(&d, &size);
	char path[64], err[ERR_LEN];
	strcpy(path, "/tmp/lkstub-test-core-XXXXXX");
	int fd = mkstemp(path);
	struct guest_mem m;
	struct elfcore_notes n;
	if (fd < 0 || write(fd, img, size) != (ssize_t)size ||
	    guest_mem_open_elfcore(&m, path, &n, err)) {
		fprintf(stderr, "cannot set up a core in /tmp\n");
		return 1;
	}
	guest_mem_close(&m);
	elfcore_notes_free(&n);
	close(fd);
	unlink(path);
	free(img);
	sigaction(SIGBUS, NULL, &lkstub_sigbus);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_and_holes),
		cmocka_unit_test(test_overlap_same_bytes),
		cmocka_unit_test(test_overlap_conflict),
		cmocka_unit_test(test_many_loads),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_notes_qemu),
		cmocka_unit_test(test_notes_kernel_order),
		cmocka_unit_test(test_cpu_regs),
		cmocka_unit_test(test_truncated_under_lkstub),
		cmocka_unit_test(test_is_core),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
