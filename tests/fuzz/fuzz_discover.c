/* Finding the kernel in guest RAM a malicious (or merely odd) guest wrote:
 * kernel_discover (symbols/discover.c with kernel_x86_64.c or
 * kernel_aarch64.c) over RAM built from the input, for a tiny vmlinux
 * made here: the vmcoreinfo scan (text pages and ELF note copies, foreign
 * build-ids, stale copies), the banner scan, the dump's own note, the
 * user's offsets, then the page-table check.
 *
 * Checks: a failure says why; on success the kernel found is real by
 * checks of this file's own (the banner bytes at linux_banner's
 * translation, read from the buffer, are the vmlinux's; the page tables
 * map _stext where the image formula puts it), kernel_still_there agrees,
 * the method and release are terminated strings, and the way it was found
 * is one the options allowed.
 *
 * Input (every field optional: missing bytes read as zero):
 *   u8  flags   bit0: aarch64 vmlinux (else x86_64); bit1: no build-id;
 *               bits2-3: discovery (0/3 auto, 1 vmcoreinfo, 2 banner);
 *               bit4: patch 0 is a dump's VMCOREINFO note, not RAM;
 *               bit5: a KASLR offset given; bit6: phys_base given;
 *               bit7: RAM in two halves with a 2 MiB hole between
 *   u8  ram     RAM size: (ram % 16 + 1) * 512 KiB
 *   u32 gpa     RAM starts at GPA gpa * 64 KiB
 *   u64 kaslr, u64 phys_base   the given offsets (bits 5, 6)
 *   u8  n       patches, each: u32 offset in RAM (mod its size), u16
 *               length, the bytes (cut at the end of RAM); RAM is zero
 *               elsewhere
 * tests/fuzz/make_seeds.py writes seeds that find both kernels by each
 * way; the link addresses below are its too. */
#include "tests/fuzz/fuzz_input.h"

#include "common/err.h"
#include "symbols/kernel.h"
#include "translate/guest_mem.h"
#include "translate/paging.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define BANNER "Linux version 6.1.0-fuzz (lkstub@fuzz) #1 SMP PREEMPT\n"

/* x86_64 */
#define X_TEXT 0xffffffff81000000ULL
#define X_STEXT (X_TEXT + 0x1000)
#define X_RODATA (X_TEXT + 0x10000)
#define X_DATA (X_TEXT + 0x20000)
#define X_BSS (X_TEXT + 0x30000)
#define X_END (X_TEXT + 0x40000)
/* aarch64, 4 KiB pages, 48-bit VAs */
#define A_TEXT 0xffff800008000000ULL
#define A_STEXT (A_TEXT + 0x10000)
#define A_RODATA (A_TEXT + 0x20000)
#define A_DATA (A_TEXT + 0x30000)
#define A_BSS (A_TEXT + 0x40000)
#define A_END (A_TEXT + 0x50000)

static const uint8_t build_id[20] = {
	0x4b, 0x1b, 0x0a, 0x5c, 0x1e, 0x0e, 0x6d, 0x2f, 0x9e, 0x8f,
	0x3c, 0x4a, 0x7b, 0x6d, 0x5e, 0x4f, 0x3a, 0x2b, 0x1c, 0x0d,
};
static const char build_id_hex[] = "4b1b0a5c1e0e6d2f9e8f3c4a7b6d5e4f3a2b1c0d";

static uint8_t text[0x2000], rodata[0x1000], data[0x2000];
static struct vmlinux vms[2]; /* x86_64, aarch64 */

static void vmlinux_make(struct vmlinux *vm, bool arm)
{
	uint64_t t = arm ? A_TEXT : X_TEXT;
	uint64_t ro = arm ? A_RODATA : X_RODATA, d = arm ? A_DATA : X_DATA;
	uint64_t b = arm ? A_BSS : X_BSS, e = arm ? A_END : X_END;
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->machine = arm ? 183 /* EM_AARCH64 */ : 62 /* EM_X86_64 */;
	vm->percpu_zero_based = !arm;
	memcpy(vm->build_id, build_id, sizeof(build_id));
	vm->build_id_len = sizeof(build_id);
	memcpy(vm->build_id_hex, build_id_hex, sizeof(build_id_hex));
	vm->sections[0] = (struct vmlinux_section){ t, sizeof(text), text };
	vm->sections[1] = (struct vmlinux_section){ ro, sizeof(rodata), rodata };
	vm->sections[2] = (struct vmlinux_section){ d, sizeof(data), data };
	vm->sections[3] = (struct vmlinux_section){ b, e - b, NULL };
	vm->nr_sections = 4;
	struct sym *s = calloc(16, sizeof(*s));
	size_t n = 0;
	s[n++] = (struct sym){ "_text", t, 0, true };
	s[n++] = (struct sym){ "_stext", arm ? A_STEXT : X_STEXT, 0, true };
	s[n++] = (struct sym){ "_end", e, 0, true };
	s[n++] = (struct sym){ "linux_banner", ro + 0x100, sizeof(BANNER),
			       true };
	s[n++] = (struct sym){ "vmcoreinfo_data", b, 8, true };
	s[n++] = (struct sym){ "vmcoreinfo_note", b + 8, 8, true };
	if (arm) {
		s[n++] = (struct sym){ "kimage_voffset", d, 8, true };
		s[n++] = (struct sym){ "memstart_addr", d + 8, 8, true };
		s[n++] = (struct sym){ "vabits_actual", d + 0x10, 8, true };
		s[n++] = (struct sym){ "swapper_pg_dir", d + 0x1000, 0x1000,
				       true };
		s[n++] = (struct sym){ "swapper_pg_end", d + 0x2000, 0, true };
	} else {
		s[n++] = (struct sym){ "page_offset_base", d, 8, true };
		s[n++] = (struct sym){ "__pgtable_l5_enabled", d + 8, 4, true };
		s[n++] = (struct sym){ "init_top_pgt", d + 0x1000, 0x1000,
				       true };
	}
	FUZZ_CHECK(symtab_build(&vm->syms, s, n) == 0, "symtab");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	memset(text, 0xcc, sizeof(text));
	memcpy(rodata + 0x100, BANNER, sizeof(BANNER));
	vmlinux_make(&vms[0], false);
	vmlinux_make(&vms[1], true);
	return 0;
}

static uint8_t *ram;
static size_t ram_size;
static uint64_t ram_gpa, hole;

/* Where GPA pa is in the buffer, by this file's own account; -1 if not
 * RAM. */
static long host_off(uint64_t pa)
{
	size_t half = hole ? ram_size / 2 : ram_size;
	if (pa >= ram_gpa && pa - ram_gpa < half)
		return (long)(pa - ram_gpa);
	if (hole && pa >= ram_gpa + half + hole &&
	    pa - (ram_gpa + half + hole) < ram_size - half)
		return (long)(half + (pa - (ram_gpa + half + hole)));
	return -1;
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *in_data, size_t size)
{
	struct fin in;
	fin_init(&in, in_data, size);
	uint8_t flags = fin_u8(&in);
	bool arm = flags & 1;
	struct vmlinux *vm = &vms[arm];
	vm->build_id_len = flags & 2 ? 0 : sizeof(build_id);
	ram_size = (fin_u8(&in) % 16 + 1) * 512 * KiB;
	ram_gpa = (uint64_t)fin_u32(&in) << 16;
	hole = flags & 0x80 ? 2 * MiB : 0;
	struct discover_opts o = { 0 };
	o.how = (enum discover_how)((flags >> 2) & 3);
	if (o.how == 3)
		o.how = DISCOVER_AUTO;
	o.kaslr_offset = fin_u64(&in);
	o.phys_base = fin_u64(&in);
	o.have_kaslr_offset = flags & 0x20;
	o.have_phys_base = flags & 0x40;

	ram = calloc(1, ram_size);
	uint8_t *note = NULL;
	unsigned n = fin_u8(&in);
	for (unsigned i = 0; i < n && in.left; i++) {
		uint64_t off = fin_u32(&in) % ram_size;
		size_t len = fin_u16(&in), got;
		const uint8_t *p = fin_take(&in, len, &got);
		if (i == 0 && (flags & 0x10)) {
			/* The note lives in a buffer of its exact size. */
			note = malloc(got ? got : 1);
			memcpy(note, p, got);
			o.vmcoreinfo_note = note;
			o.vmcoreinfo_note_len = got;
			continue;
		}
		if (got > ram_size - off)
			got = ram_size - off;
		memcpy(ram + off, p, got);
	}

	char err[ERR_LEN];
	struct guest_mem m;
	FUZZ_CHECK(guest_mem_open_buffer(&m, ram, ram_size, false, err) == 0,
		   "%s", err);
	size_t half = hole ? ram_size / 2 : ram_size;
	if (ram_gpa + ram_size + hole < ram_gpa ||
	    guest_mem_add_region(&m, ram_gpa, half, 0, err) ||
	    (hole && guest_mem_add_region(&m, ram_gpa + half + hole,
					  ram_size - half, half, err)))
		goto out; /* RAM past the top of the address space */

	struct kernel_info ki;
	memset(&ki, 0x5a, sizeof(ki));
	err[0] = '\0';
	int rc = kernel_discover(&ki, &m, vm, &o, err);
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	FUZZ_CHECK(terminated(err, sizeof(err)), "err not terminated");
	if (rc) {
		FUZZ_CHECK(err[0], "failed without a message");
		goto out;
	}
	FUZZ_CHECK(ki.arch == kernel_arch_for(vm->machine), "arch");
	FUZZ_CHECK(ki.as.tables_checked && ki.as.mem == &m, "address space");
	FUZZ_CHECK(terminated(ki.method, sizeof(ki.method)) && ki.method[0] &&
			   terminated(ki.release, sizeof(ki.release)) &&
			   terminated(ki.paging_note, sizeof(ki.paging_note)),
		   "strings");
	bool both = o.have_kaslr_offset && o.have_phys_base;
	if (both || o.how == DISCOVER_BANNER)
		FUZZ_CHECK(ki.vmcoreinfo_pa == UINT64_MAX,
			   "a vmcoreinfo used (%s)", ki.method);
	if (o.how == DISCOVER_VMCOREINFO && !both)
		FUZZ_CHECK(ki.vmcoreinfo_pa != UINT64_MAX ||
				   strstr(ki.method, "VMCOREINFO note"),
			   "no vmcoreinfo used (%s)", ki.method);
	if (o.have_kaslr_offset)
		FUZZ_CHECK(ki.kaslr_offset == o.kaslr_offset,
			   "KASLR offset %#llx, given %#llx",
			   (unsigned long long)ki.kaslr_offset,
			   (unsigned long long)o.kaslr_offset);
	/* Re-check by hand: the tables map _stext by the image formula, and
	 * the bytes at linux_banner's translation are the banner. */
	uint64_t stext = (arm ? A_STEXT : X_STEXT) + ki.kaslr_offset;
	struct pt_walk w;
	FUZZ_CHECK(kva_walk(&ki.as, stext, &w) == PT_OK &&
			   w.pa == stext - ki.as.image_pa_delta,
		   "_stext not mapped by the image formula");
	uint64_t banner = (arm ? A_RODATA : X_RODATA) + 0x100 +
			  ki.kaslr_offset;
	for (size_t i = 0; i < sizeof(BANNER) - 1; i++) {
		struct kva_xlat x;
		FUZZ_CHECK(kva_translate(&ki.as, banner + i, &x, NULL) ==
				   PT_OK,
			   "banner byte %zu untranslatable", i);
		long off = host_off(x.pa);
		FUZZ_CHECK(off >= 0 && ram[off] == (uint8_t)BANNER[i],
			   "banner byte %zu at PA %#llx is not the banner's",
			   i, (unsigned long long)x.pa);
	}
	FUZZ_CHECK(kernel_still_there(&ki, vm), "found, then gone");
out:
	guest_mem_close(&m);
	free(ram);
	free(note);
	return 0;
}
