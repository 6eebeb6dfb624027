/* Unit tests for what lkstub writes for gdb's symbols (symbols/
 * elf_sections.c, gdb_symfiles.c, module_files.c, stub/target/
 * library_list.c): section maps read back with libelf, the debuglink and
 * its CRC, the library list's escaping, module files found by name and
 * unpacked from xz and zstd. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "common/err.h"
#include "stub/rsp/strbuf.h"
#include "stub/target/library_list.h"
#include "symbols/elf_sections.h"
#include "symbols/gdb_symfiles.h"
#include "symbols/module_files.h"
#include "tests/unit/synth_elf.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/lkstub-symfiles-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static Elf *open_elf(const char *path, int *fd)
{
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	*fd = open(path, O_RDONLY);
	assert_true(*fd >= 0);
	Elf *e = elf_begin(*fd, ELF_C_READ, NULL);
	assert_non_null(e);
	return e;
}

/* A vmlinux-like object: code, a per-cpu section linked at 0, data, and
 * sections gdb must not be told about (not SHF_ALLOC). */
static uint8_t text[64], pcpu[32], data[16], info[8];
static const struct se_sec objsecs[] = {
	{ ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
	  0xffffffff81000000ULL, text, sizeof(text) },
	{ ".debug_info", SHT_PROGBITS, 0, 0, info, sizeof(info) },
	{ ".data..percpu", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0, pcpu,
	  sizeof(pcpu) },
	{ ".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
	  0xffffffff82000000ULL, data, sizeof(data) },
	{ ".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0xffffffff82001000ULL,
	  NULL, 0x2000 },
};

static void make_object(char *path)
{
	struct se_desc d = { .machine = EM_X86_64, .secs = objsecs,
			     .nr_secs = 5, .no_symtab = true };
	se_write(&d, path);
}

static void test_alloc_sections(void **state)
{
	(void)state;
	char path[64];
	make_object(path);
	int fd;
	Elf *e = open_elf(path, &fd);
	struct elf_section *s;
	unsigned n;
	char err[ERR_LEN];
	assert_int_equal(elf_alloc_sections(e, &s, &n, err), 0);
	assert_int_equal(n, 4); /* .debug_info is not allocated */
	assert_string_equal(s[0].name, ".text");
	assert_string_equal(s[1].name, ".data..percpu");
	assert_string_equal(s[2].name, ".data");
	assert_string_equal(s[3].name, ".bss");
	assert_true(s[0].addr == 0xffffffff81000000ULL);
	assert_true(s[1].addr == 0 && s[1].size == sizeof(pcpu));
	assert_true(s[3].size == 0x2000);
	assert_true(s[0].flags & SHF_EXECINSTR);
	free(s);
	elf_end(e);
	close(fd);
	unlink(path);
}

static void test_crc32(void **state)
{
	(void)state;
	char path[PATH_MAX], err[ERR_LEN];
	snprintf(path, sizeof(path), "%s/crc", tmpdir);
	write_bytes(path, "123456789", 9);
	uint32_t crc = 0;
	assert_int_equal(symfile_crc32(path, &crc, err), 0);
	assert_int_equal(crc, 0xcbf43926u); /* the CRC-32 check value */
	write_bytes(path, "", 0);
	assert_int_equal(symfile_crc32(path, &crc, err), 0);
	assert_int_equal(crc, 0);
	snprintf(path, sizeof(path), "%s/absent", tmpdir);
	assert_int_equal(symfile_crc32(path, &crc, err), -1);
	assert_non_null(strstr(err, "absent"));
}

/* The map: the sections that stay at 0 first, every one NOBITS with the
 * object's addresses, sizes and flags; the object's type and entry; a
 * debuglink naming the symlink beside it, which points at the object. */
static void test_section_map(void **state)
{
	(void)state;
	char obj[64], map[PATH_MAX], err[ERR_LEN];
	make_object(obj);
	int ofd;
	Elf *oe = open_elf(obj, &ofd);
	struct elf_section *s;
	unsigned n, order[4];
	assert_int_equal(elf_alloc_sections(oe, &s, &n, err), 0);
	const uint64_t koff = 0x2e400000;
	uint64_t offs[4] = { koff, 0, koff, koff };
	assert_int_equal(symfile_section_map(tmpdir, "vmlinux-x", "2e400000",
					     obj, 0x12345678, ET_EXEC,
					     EM_X86_64, 0x1000000, s, offs, n,
					     order, map, sizeof(map), err), 0);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/vmlinux-x@2e400000.lkstub", tmpdir);
	assert_string_equal(map, want);
	assert_int_equal(order[0], 1); /* .data..percpu first */
	assert_int_equal(order[1], 0);
	assert_int_equal(order[2], 2);
	assert_int_equal(order[3], 3);

	int fd;
	Elf *e = open_elf(map, &fd);
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(e, &eh));
	assert_int_equal(eh.e_type, ET_EXEC);
	assert_int_equal(eh.e_machine, EM_X86_64);
	assert_true(eh.e_entry == 0x1000000);
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	unsigned k = 0;
	bool link_seen = false;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(scn, &sh));
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		assert_non_null(name);
		if (sh.sh_flags & SHF_ALLOC) {
			assert_true(k < n);
			const struct elf_section *o = &s[order[k++]];
			assert_string_equal(name, o->name);
			assert_int_equal(sh.sh_type, SHT_NOBITS);
			assert_true(sh.sh_addr == o->addr);
			assert_true(sh.sh_size == o->size);
			assert_true(sh.sh_flags == o->flags);
		} else if (!strcmp(name, ".gnu_debuglink")) {
			Elf_Data *d = elf_getdata(scn, NULL);
			assert_non_null(d);
			assert_int_equal(d->d_size, 16); /* "vmlinux-x\0" pad crc */
			assert_string_equal(d->d_buf, "vmlinux-x");
			uint32_t crc;
			memcpy(&crc, (char *)d->d_buf + 12, 4);
			assert_int_equal(crc, 0x12345678);
			link_seen = true;
		}
	}
	assert_int_equal(k, n);
	assert_true(link_seen);
	elf_end(e);
	close(fd);

	char link[PATH_MAX], target[PATH_MAX], real[PATH_MAX];
	snprintf(link, sizeof(link), "%s/vmlinux-x", tmpdir);
	ssize_t l = readlink(link, target, sizeof(target) - 1);
	assert_true(l > 0);
	target[l] = '\0';
	assert_non_null(realpath(obj, real));
	assert_string_equal(target, real);

	/* Another object under the same name: the link follows it. */
	char obj2[64];
	make_object(obj2);
	assert_int_equal(symfile_section_map(tmpdir, "vmlinux-x", "0", obj2, 1,
					     ET_EXEC, EM_X86_64, 0, s, offs,
					     n, order, map, sizeof(map), err),
			 0);
	l = readlink(link, target, sizeof(target) - 1);
	assert_true(l > 0);
	target[l] = '\0';
	assert_non_null(realpath(obj2, real));
	assert_string_equal(target, real);
	/* Names with a slash are refused. */
	assert_int_equal(symfile_section_map(tmpdir, "../x", "0", obj2, 1,
					     ET_EXEC, EM_X86_64, 0, s, offs,
					     n, order, map, sizeof(map), err),
			 -1);
	free(s);
	elf_end(oe);
	close(ofd);
	unlink(obj);
	unlink(obj2);
}

/* The vmlinux's map keeps the object's section numbers (gdb places its
 * ELF symbols by them): the allocated sections NOBITS at their index, the
 * rest nameless (SHT_NULL where BFD makes no section: symbol and string
 * tables); a section that stays at 0 renamed and put at 1, moved by 0. */
static void test_indexed_map(void **state)
{
	(void)state;
	char obj[64], map[PATH_MAX], err[ERR_LEN];
	make_object(obj);
	int ofd;
	Elf *oe = open_elf(obj, &ofd);
	struct elf_section *s;
	unsigned n, nr;
	assert_int_equal(elf_all_sections(oe, &s, &n, err), 0);
	size_t oshnum;
	assert_int_equal(elf_getshdrnum(oe, &oshnum), 0);
	assert_int_equal(n, oshnum - 1);
	uint64_t offs[64], addrs[64];
	assert_true(n <= 64);
	const uint64_t koff = 0x2e400000;
	for (unsigned i = 0; i < n; i++)
		offs[i] = s[i].addr ? koff : 0;
	assert_int_equal(symfile_indexed_map(tmpdir, "vmlinux-i", "2e400000",
					     obj, 7, ET_EXEC, EM_X86_64,
					     0x1000000, s, offs, n, addrs, &nr,
					     map, sizeof(map), err), 0);
	assert_int_equal(nr, 4); /* .text .data..percpu .data .bss */
	assert_true(addrs[0] == koff && addrs[1] == 0 && addrs[2] == koff &&
		    addrs[3] == koff);
	int fd;
	Elf *e = open_elf(map, &fd);
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	for (unsigned i = 0; i < n; i++) {
		GElf_Shdr sh;
		assert_non_null(gelf_getshdr(elf_getscn(e, i + 1), &sh));
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		assert_non_null(name);
		if (!(s[i].flags & SHF_ALLOC)) {
			assert_string_equal(name, "");
			assert_int_equal(sh.sh_type,
					 s[i].type == SHT_SYMTAB ||
						 s[i].type == SHT_STRTAB
						 ? SHT_NULL
						 : SHT_PROGBITS);
			continue;
		}
		assert_int_equal(sh.sh_type, SHT_NOBITS);
		assert_true(sh.sh_size == s[i].size);
		if (!strcmp(s[i].name, ".data..percpu")) {
			assert_string_equal(name, ".data..percpu.lkstub-at-0");
			assert_true(sh.sh_addr == 1);
		} else {
			assert_string_equal(name, s[i].name);
			assert_true(sh.sh_addr == s[i].addr);
		}
	}
	elf_end(e);
	close(fd);
	free(s);
	elf_end(oe);
	close(ofd);
	unlink(obj);
}

static void test_placeholder(void **state)
{
	(void)state;
	char path[PATH_MAX], err[ERR_LEN];
	assert_int_equal(symfile_placeholder(tmpdir, EM_AARCH64, "aarch64",
					     path, sizeof(path), err), 0);
	assert_non_null(strstr(path, "/lkstub-kernel-aarch64"));
	int fd;
	Elf *e = open_elf(path, &fd);
	GElf_Ehdr eh;
	assert_non_null(gelf_getehdr(e, &eh));
	assert_int_equal(eh.e_type, ET_EXEC);
	assert_int_equal(eh.e_machine, EM_AARCH64);
	size_t shnum;
	assert_int_equal(elf_getshdrnum(e, &shnum), 0);
	assert_int_equal(shnum, 2); /* null and .shstrtab only */
	elf_end(e);
	close(fd);
}

static void test_library_list(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb, 1 << 16);
	library_list_begin(&sb);
	const uint64_t a[2] = { 0, 0xffffffffc0001000ULL };
	library_list_add(&sb, "/c/a&b<c>\"d'e.lkstub", a, 2);
	library_list_end(&sb);
	assert_string_equal(strbuf_cstr(&sb),
		"<library-list>\n"
		"  <library name=\"/c/a&amp;b&lt;c&gt;&quot;d&apos;e.lkstub\">\n"
		"    <section address=\"0\"/>\n"
		"    <section address=\"0xffffffffc0001000\"/>\n"
		"  </library>\n"
		"</library-list>\n");
	strbuf_free(&sb);
}

static void mkdir_p(const char *p)
{
	char err[ERR_LEN];
	assert_int_equal(symfile_mkdirs(p, err), 0);
}

static void write_xz(const char *path, const void *buf, size_t len)
{
	size_t cap = lzma_stream_buffer_bound(len), out = 0;
	uint8_t *o = malloc(cap);
	assert_non_null(o);
	assert_int_equal(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL,
						 buf, len, o, &out, cap),
			 LZMA_OK);
	write_bytes(path, o, out);
	free(o);
}

static void write_zst(const char *path, const void *buf, size_t len)
{
	size_t cap = ZSTD_compressBound(len);
	void *o = malloc(cap);
	assert_non_null(o);
	size_t out = ZSTD_compress(o, cap, buf, len, 1);
	assert_false(ZSTD_isError(out));
	write_bytes(path, o, out);
	free(o);
}

static void expect_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t got[4096];
	size_t n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, len);
	assert_memory_equal(got, buf, len);
}

/* Found by name, '-' and '_' alike, the first directory first; xz and
 * zstd unpacked to their bytes; garbage refused with the file named. */
static void test_module_files(void **state)
{
	(void)state;
	char d1[PATH_MAX], d2[PATH_MAX], p[PATH_MAX + 64], cache[PATH_MAX];
	snprintf(d1, sizeof(d1), "%s/dbg/kernel/drivers", tmpdir);
	snprintf(d2, sizeof(d2), "%s/mods", tmpdir);
	snprintf(cache, sizeof(cache), "%s/cache", tmpdir);
	mkdir_p(d1);
	mkdir_p(d2);
	mkdir_p(cache);
	static const char plain[] = "plain module bytes";
	static const char packed[] = "bytes that went through a compressor";
	snprintf(p, sizeof(p), "%s/dummy.ko", d1);
	write_bytes(p, plain, sizeof(plain));
	snprintf(p, sizeof(p), "%s/dummy.ko", d2); /* second dir: loses */
	write_bytes(p, "other", 5);
	snprintf(p, sizeof(p), "%s/snd-hda.ko.xz", d2);
	write_xz(p, packed, sizeof(packed));
	snprintf(p, sizeof(p), "%s/zz_top.ko.zst", d2);
	write_zst(p, packed, sizeof(packed));
	snprintf(p, sizeof(p), "%s/bad.ko.xz", d2);
	write_bytes(p, "not xz at all", 13);
	snprintf(p, sizeof(p), "%s/README", d2);
	write_bytes(p, "x", 1);

	char root[PATH_MAX + 8], absent[PATH_MAX + 8];
	snprintf(root, sizeof(root), "%s/dbg", tmpdir);
	snprintf(absent, sizeof(absent), "%s/none", tmpdir);
	const char *dirs[] = { root, absent, d2 };
	struct module_files mf;
	char err[ERR_LEN];
	assert_int_equal(module_files_index(&mf, dirs, 3, err), 0);
	assert_int_equal(mf.n, 5);
	const char *f = module_files_find(&mf, "dummy");
	assert_non_null(f);
	assert_non_null(strstr(f, "/dbg/"));
	assert_null(module_files_find(&mf, "README"));
	assert_null(module_files_find(&mf, "absent"));
	const char *xz = module_files_find(&mf, "snd_hda");
	assert_non_null(xz);
	assert_ptr_equal(module_files_find(&mf, "snd-hda"), xz);
	const char *zst = module_files_find(&mf, "zz-top");
	assert_non_null(zst);

	char out[PATH_MAX];
	assert_int_equal(module_file_unpacked(f, cache, out, sizeof(out), err),
			 0);
	assert_string_equal(out, f); /* plain: used where it is */
	assert_int_equal(module_file_unpacked(xz, cache, out, sizeof(out), err),
			 0);
	assert_non_null(strstr(out, "/cache/snd-hda.ko"));
	expect_file(out, packed, sizeof(packed));
	assert_int_equal(module_file_unpacked(zst, cache, out, sizeof(out),
					      err), 0);
	expect_file(out, packed, sizeof(packed));
	assert_int_equal(module_file_unpacked(module_files_find(&mf, "bad"),
					      cache, out, sizeof(out), err),
			 -1);
	assert_non_null(strstr(err, "bad.ko.xz"));
	module_files_free(&mf);
}

/* No module files at all (directories absent or empty): an empty index. */
static void test_module_files_none(void **state)
{
	(void)state;
	char empty[PATH_MAX], absent[PATH_MAX + 8];
	snprintf(empty, sizeof(empty), "%s/empty", tmpdir);
	mkdir_p(empty);
	snprintf(absent, sizeof(absent), "%s/none", tmpdir);
	const char *dirs[] = { empty, absent };
	struct module_files mf;
	char err[ERR_LEN];
	assert_int_equal(module_files_index(&mf, dirs, 2, err), 0);
	assert_int_equal(mf.n, 0);
	assert_null(module_files_find(&mf, "dummy"));
	module_files_free(&mf);
	assert_int_equal(module_files_index(&mf, dirs, 0, err), 0);
	assert_int_equal(mf.n, 0);
	module_files_free(&mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_sections),
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_section_map),
		cmocka_unit_test(test_indexed_map),
		cmocka_unit_test(test_placeholder),
		cmocka_unit_test(test_library_list),
		cmocka_unit_test(test_module_files),
		cmocka_unit_test(test_module_files_none),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
