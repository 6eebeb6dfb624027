/* Unit tests for symbols/vmlinux.c on small ELF files written with libelf
 * at test time (tests/unit/synth_elf.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbols/kernel.h"
#include "symbols/vmlinux.h"
#include "common/err.h"
#include "tests/unit/synth_elf.h"

static struct vmlinux vm; /* 4 KiB path + sections: off the stack */

static void test_open_kernel(void **state)
{
	(void)state;
	struct synth_kernel *k = malloc(sizeof(*k));
	assert_non_null(k);
	synth_kernel_write(k, EM_X86_64, true, true);
	char err[ERR_LEN] = "";
	if (vmlinux_open(&vm, k->path, err))
		fail_msg("vmlinux_open: %s", err);
	unlink(k->path); /* mapped: nothing is left behind if a test fails */
	assert_string_equal(vm.path, k->path);
	assert_int_equal(vm.machine, EM_X86_64);
	assert_int_equal(vm.build_id_len, 20);
	assert_memory_equal(vm.build_id, sk_build_id, 20);
	assert_string_equal(vm.build_id_hex, SK_BUILD_ID_HEX);
	assert_int_equal(vm.syms.nr, SK_NR_KEPT);

	uint64_t a = 1;
	assert_true(vmlinux_sym(&vm, "_text", &a));
	assert_true(a == SK_TEXT);
	assert_true(vmlinux_sym(&vm, "init_top_pgt", &a));
	assert_true(a == SK_PGT);
	assert_true(vmlinux_sym(&vm, "_end", &a));
	assert_true(a == SK_END);
	/* Value 0 (a per-cpu offset) is a symbol. */
	a = 1;
	assert_true(vmlinux_sym(&vm, "fixed_percpu_data", &a));
	assert_true(a == 0);
	/* SHN_UNDEF entries are skipped, with or without a value; so are
	 * STT_FILE, STT_SECTION and nameless ones. */
	a = 7;
	assert_false(vmlinux_sym(&vm, "printk", &a));
	assert_false(vmlinux_sym(&vm, "undef_with_value", &a));
	assert_false(vmlinux_sym(&vm, "main.c", &a));
	assert_false(vmlinux_sym(&vm, "section_sym", &a));
	assert_false(vmlinux_sym(&vm, "", &a));
	assert_false(vmlinux_sym(&vm, "no_such_symbol", &a));
	assert_true(a == 7);
	/* Two static helpers and a global one: the global. */
	assert_true(vmlinux_sym(&vm, "helper", &a));
	assert_true(a == SK_STEXT + 0x500);
	const struct sym *s = symtab_lookup(&vm.syms, "linux_banner");
	assert_non_null(s);
	assert_true(s->global);
	assert_int_equal(s->size, sizeof(SK_BANNER_TEXT));
	s = symtab_by_addr(&vm.syms, SK_STEXT + 0x150);
	assert_non_null(s);
	assert_string_equal(s->name, "start_kernel");
	/* At _text, startup_64 (sized) beats the _text marker. */
	assert_string_equal(symtab_by_addr(&vm.syms, SK_TEXT)->name,
			    "startup_64");

	/* The loaded sections: .text .rodata .data .bss and the note. */
	assert_int_equal(vm.nr_sections, 5);
	unsigned nobits = 0;
	for (unsigned i = 0; i < vm.nr_sections; i++)
		if (!vm.sections[i].data) {
			nobits++;
			assert_true(vm.sections[i].addr == SK_BSS);
			assert_true(vm.sections[i].size == SK_END - SK_BSS);
		}
	assert_int_equal(nobits, 1);

	/* The banner, byte for byte, with its NUL. */
	char buf[512];
	memset(buf, 0x55, sizeof(buf));
	assert_int_equal(vmlinux_read(&vm, SK_BANNER, buf,
				      sizeof(SK_BANNER_TEXT)),
			 sizeof(SK_BANNER_TEXT));
	assert_memory_equal(buf, SK_BANNER_TEXT, sizeof(SK_BANNER_TEXT));
	/* A read stops at the end of its section. */
	uint64_t last = SK_RODATA + SK_RODATA_SIZE - 4;
	assert_int_equal(vmlinux_read(&vm, last, buf, sizeof(buf)), 4);
	assert_int_equal(vmlinux_read(&vm, SK_TEXT, buf, 16), 16);
	assert_int_equal((unsigned char)buf[0], 0xcc);
	/* .bss has no bytes in the file; nothing maps below or between. */
	assert_int_equal(vmlinux_read(&vm, SK_BSS, buf, 8), 0);
	assert_int_equal(vmlinux_read(&vm, SK_TEXT - 1, buf, 8), 0);
	assert_int_equal(vmlinux_read(&vm, SK_TEXT + SK_TEXT_SIZE, buf, 8), 0);
	assert_int_equal(vmlinux_read(&vm, UINT64_MAX, buf, 8), 0);
	assert_int_equal(vmlinux_read(&vm, 0, buf, 8), 0);
	assert_int_equal(vmlinux_read(&vm, SK_BANNER, buf, 0), 0);

	vmlinux_close(&vm);
	assert_int_equal(vm.fd, -1);
	vmlinux_close(&vm); /* twice is harmless */
	free(k);
}

static void test_no_build_id_other_machine(void **state)
{
	(void)state;
	struct synth_kernel *k = malloc(sizeof(*k));
	assert_non_null(k);
	synth_kernel_write(k, EM_AARCH64, false, true);
	char err[ERR_LEN] = "";
	if (vmlinux_open(&vm, k->path, err))
		fail_msg("vmlinux_open: %s", err);
	unlink(k->path); /* mapped: nothing is left behind if a test fails */
	assert_int_equal(vm.machine, EM_AARCH64);
	assert_int_equal(vm.build_id_len, 0);
	assert_string_equal(vm.build_id_hex, "");
	uint64_t a;
	assert_true(vmlinux_sym(&vm, "linux_banner", &a));
	assert_int_equal(vm.nr_sections, 4);
	vmlinux_close(&vm);
	free(k);
}

/* An arm64 vmlinux's page size from its page-table symbols: one page each,
 * swapper_pg_dir right after reserved_pg_dir (the 6.1 and 6.12 layout,
 * with these kernels' addresses) or ending at swapper_pg_end (older). */
static unsigned page_shift_of(uint64_t reserved, uint64_t swapper,
			      uint64_t end)
{
	static uint8_t text[16];
	const uint64_t base = 0xffff800080000000ULL;
	struct se_sec secs[] = {
		{ ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, base, text,
		  sizeof(text) },
	};
	struct se_sym syms[3];
	unsigned n = 0;
	if (reserved)
		syms[n++] = (struct se_sym){ "reserved_pg_dir", reserved, 0,
					     STB_GLOBAL, STT_NOTYPE, SE_ABS };
	if (swapper)
		syms[n++] = (struct se_sym){ "swapper_pg_dir", swapper, 0,
					     STB_GLOBAL, STT_NOTYPE, SE_ABS };
	if (end)
		syms[n++] = (struct se_sym){ "swapper_pg_end", end, 0,
					     STB_GLOBAL, STT_NOTYPE, SE_ABS };
	struct se_desc d = { .machine = EM_AARCH64, .secs = secs, .nr_secs = 1,
			     .syms = syms, .nr_syms = n };
	char path[64], err[ERR_LEN] = "";
	se_write(&d, path);
	struct vmlinux v;
	if (vmlinux_open(&v, path, err))
		fail_msg("vmlinux_open: %s", err);
	unlink(path);
	unsigned shift = aarch64_vmlinux_page_shift(&v);
	vmlinux_close(&v);
	return shift;
}

static void test_arm64_page_shift(void **state)
{
	(void)state;
	/* 6.1 and 6.12 cloud-arm64 (4K), 6.12 arm64-16k: no swapper_pg_end. */
	assert_int_equal(page_shift_of(0xffff80000938e000ULL,
				       0xffff80000938f000ULL, 0), 12);
	assert_int_equal(page_shift_of(0xffff80008187a000ULL,
				       0xffff80008187b000ULL, 0), 12);
	assert_int_equal(page_shift_of(0xffffc00081d38000ULL,
				       0xffffc00081d3c000ULL, 0), 14);
	assert_int_equal(page_shift_of(0xfffffc0081d20000ULL,
				       0xfffffc0081d30000ULL, 0), 16);
	/* Older kernels: swapper_pg_end. */
	assert_int_equal(page_shift_of(0, 0xffff000009390000ULL,
				       0xffff0000093a0000ULL), 16);
	assert_int_equal(page_shift_of(0, 0xffff000009390000ULL,
				       0xffff000009394000ULL), 14);
	/* Nothing to tell by: 4K. Spacing that is no page size: 4K. */
	assert_int_equal(page_shift_of(0, 0xffff80008187b000ULL, 0), 12);
	assert_int_equal(page_shift_of(0, 0, 0), 12);
	assert_int_equal(page_shift_of(0xffff800081870000ULL,
				       0xffff80008187b000ULL, 0), 12);
}

static void test_missing_file(void **state)
{
	(void)state;
	const char *path = "/tmp/lkstub-test-no-such-dir/vmlinux";
	char err[ERR_LEN] = "";
	assert_int_equal(vmlinux_open(&vm, path, err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_int_equal(vm.fd, -1);
	assert_null(vm.elf);
	vmlinux_close(&vm); /* after a failed open: harmless */
	/* A NULL err is allowed. */
	assert_int_equal(vmlinux_open(&vm, path, NULL), -1);
}

static void write_file(char *path, const void *buf, size_t len)
{
	strcpy(path, "/tmp/lkstub-test-elf-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void test_not_elf(void **state)
{
	(void)state;
	char path[64], err[ERR_LEN] = "";
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	write_file(path, text, sizeof(text) - 1);
	assert_int_equal(vmlinux_open(&vm, path, err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not an ELF file"));
	assert_int_equal(vm.fd, -1);
	unlink(path);

	/* Empty, and a lone ELF magic. */
	write_file(path, "", 0);
	err[0] = '\0';
	assert_int_equal(vmlinux_open(&vm, path, err), -1);
	assert_non_null(strstr(err, path));
	unlink(path);
	write_file(path, "\177ELF", 4);
	err[0] = '\0';
	assert_int_equal(vmlinux_open(&vm, path, err), -1);
	assert_non_null(strstr(err, path));
	unlink(path);

	/* A directory. */
	err[0] = '\0';
	assert_int_equal(vmlinux_open(&vm, "/tmp", err), -1);
	assert_non_null(strstr(err, "/tmp"));
}

static void test_no_symtab(void **state)
{
	(void)state;
	struct synth_kernel *k = malloc(sizeof(*k));
	assert_non_null(k);
	synth_kernel_write(k, EM_X86_64, true, false);
	char err[ERR_LEN] = "";
	assert_int_equal(vmlinux_open(&vm, k->path, err), -1);
	assert_non_null(strstr(err, k->path));
	assert_non_null(strstr(err, "no symbol table"));
	assert_int_equal(vm.fd, -1);
	assert_null(vm.elf);
	assert_int_equal(vm.syms.nr, 0);
	unlink(k->path);
	free(k);
}

/* Cut the file anywhere: open fails or succeeds, never crashes (valgrind
 * watches the reads past the mapping libelf could be tricked into). */
static void test_truncated(void **state)
{
	(void)state;
	struct synth_kernel *k = malloc(sizeof(*k));
	assert_non_null(k);
	synth_kernel_write(k, EM_X86_64, true, true);
	struct stat st;
	assert_int_equal(stat(k->path, &st), 0);
	int fd = open(k->path, O_RDONLY);
	assert_true(fd >= 0);
	size_t size = (size_t)st.st_size;
	char *all = malloc(size);
	assert_non_null(all);
	assert_int_equal(read(fd, all, size), (ssize_t)size);
	close(fd);
	unlink(k->path);
	unsigned opened = 0, failed = 0;
	for (size_t cut = 0; cut < size; cut += size / 23 + 1) {
		char path[64], err[ERR_LEN] = "";
		write_file(path, all, cut);
		if (vmlinux_open(&vm, path, err)) {
			failed++;
			assert_non_null(strstr(err, path));
		} else {
			opened++;
			uint64_t a;
			(void)vmlinux_sym(&vm, "_text", &a);
			char b[64];
			(void)vmlinux_read(&vm, SK_BANNER, b, sizeof(b));
			vmlinux_close(&vm);
		}
		unlink(path);
	}
	assert_true(failed > 0);
	free(all);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_kernel),
		cmocka_unit_test(test_no_build_id_other_machine),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_arm64_page_shift),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_no_symtab),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
