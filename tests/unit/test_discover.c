/* Unit tests for symbols/discover.c, kernel_x86_64.c and locate.c, and for
 * kernel_target_locate (finding the kernel all or nothing): a tiny x86_64
 * "kernel" (tests/unit/synth_elf.h) placed in synthetic guest RAM with its
 * page tables (tests/unit/synth_pt.h) and vmcoreinfo copies. */
#include <elf.h>
#include <setjmp.h>
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

#include "stub/cli/memory_arg.h"
#include "stub/target/kernel_target.h"
#include "symbols/kernel.h"
#include "symbols/locate.h"
#include "symbols/vmlinux.h"
#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/layout.h"
#include "translate/paging.h"
#include "tests/unit/synth_elf.h"
#include "tests/unit/synth_pt.h"

#define MiB (1ULL << 20)
#define RAM_SIZE (64 * MiB)
#define POOL_START (1 * MiB)
#define POOL_END (2 * MiB)
/* vmcoreinfo pages, below every image PA the tests use. */
#define FOREIGN_PA 0x300000ULL
#define STALE_PA 0x400000ULL
#define LIVE_PA 0x500000ULL
#define NOTE_PA 0x600000ULL
#define NOTE_TEXT 24

#define START_KERNEL_MAP 0xffffffff80000000ULL
#define IMG_PA_DEFAULT (34 * MiB)
#define KOFF_DEFAULT 0x2e400000ULL /* _text at 0xffffffffaf400000 */
#define PO_L4 0xffff9c8000000000ULL /* randomized page_offset_base */
#define PO_L5 0xff2e400000000000ULL
#define NR_CPUS 4

struct fx {
	struct synth s;
	struct synth_kernel k;
	struct vmlinux vm;
	unsigned levels;
	uint64_t img_pa, koff, phys_base, page_offset, root;
	struct kernel_info ki;
	struct discover_opts o;
	char err[ERR_LEN];
};

static uint64_t phys_base_for(uint64_t img_pa, uint64_t koff)
{
	/* pa = va - __START_KERNEL_map + phys_base, va = link + koff */
	return img_pa - (SK_TEXT + koff - START_KERNEL_MAP);
}

static uint64_t img_pa_of(const struct fx *f, uint64_t link)
{
	return f->img_pa + (link - SK_TEXT);
}

/* Guest RAM, the vmlinux; no kernel in RAM yet. */
static struct fx *fx_new(unsigned levels)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	synth_open_flat(&f->s, RAM_SIZE);
	synth_kernel_open(&f->k, &f->vm);
	f->levels = levels;
	f->page_offset = levels == 5 ? PO_L5 : PO_L4;
	return f;
}

static void fx_free(struct fx *f)
{
	vmlinux_close(&f->vm);
	synth_close(&f->s);
	free(f);
}

/* The image at img_pa running at link + koff: its bytes, its variables,
 * and page tables at its init_top_pgt mapping the image (2 MiB pages) and
 * the direct map of all RAM. */
static void fx_image(struct fx *f, uint64_t img_pa, uint64_t koff)
{
	f->img_pa = img_pa;
	f->koff = koff;
	f->phys_base = phys_base_for(img_pa, koff);
	memcpy(synth_ptr(&f->s, img_pa, SK_TEXT_SIZE), f->k.text,
	       SK_TEXT_SIZE);
	memcpy(synth_ptr(&f->s, img_pa_of(f, SK_RODATA), SK_RODATA_SIZE),
	       f->k.rodata, SK_RODATA_SIZE);
	memcpy(synth_ptr(&f->s, img_pa_of(f, SK_DATA), SK_DATA_SIZE),
	       f->k.data, SK_DATA_SIZE);
	synth_put64(&f->s, img_pa_of(f, SK_POB), f->page_offset);
	uint32_t l5 = f->levels == 5, cpus = NR_CPUS;
	memcpy(synth_ptr(&f->s, img_pa_of(f, SK_L5), 4), &l5, 4);
	memcpy(synth_ptr(&f->s, img_pa_of(f, SK_NR_CPUS), 4), &cpus, 4);
	synth_put64(&f->s, img_pa_of(f, SK_VMCI), f->page_offset + LIVE_PA);
	synth_put64(&f->s, img_pa_of(f, SK_VMCI_NOTE),
		    f->page_offset + NOTE_PA);

	f->root = img_pa_of(f, SK_PGT);
	memset(synth_ptr(&f->s, f->root, SYN_4K), 0, SYN_4K);
	synth_table_pool(&f->s, POOL_START, POOL_END);
	for (uint64_t off = 0; off < SK_END - SK_TEXT; off += SYN_2M)
		synth_map(&f->s, f->root, f->levels, SK_TEXT + koff + off,
			  img_pa + off, SYN_2M);
	for (uint64_t pa = 0; pa < RAM_SIZE; pa += SYN_2M)
		synth_map(&f->s, f->root, f->levels, f->page_offset + pa, pa,
			  SYN_2M);
}

/* A vmcoreinfo text as the kernel writes it, at pa (or as the ELF note
 * vmcoreinfo_note points to, text at pa + 24). */
static void fx_vmcoreinfo(struct fx *f, uint64_t pa, const char *build_id,
			  uint64_t koff, uint64_t phys_base, bool note)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
			 "OSRELEASE=6.1.0-56-cloud-amd64\n"
			 "BUILD-ID=%s\n"
			 "PAGESIZE=4096\n"
			 "SYMBOL(init_uts_ns)=%llx\n"
			 "SYMBOL(_stext)=%llx\n"
			 "NUMBER(phys_base)=%lld\n"
			 "NUMBER(pgtable_l5_enabled)=%d\n"
			 "NUMBER(VA_BITS)=0x%x\n"
			 "KERNELOFFSET=%llx\n"
			 "CRASHTIME=1700000000\n",
			 build_id, (unsigned long long)(SK_DATA + 0x800 + koff),
			 (unsigned long long)(SK_STEXT + koff),
			 (long long)phys_base, f->levels == 5,
			 f->levels == 5 ? 57 : 48, (unsigned long long)koff);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	uint8_t *p = synth_ptr(&f->s, pa, SYN_4K);
	memset(p, 0, SYN_4K);
	if (note) {
		uint32_t hdr[3] = { 11, (uint32_t)n, 0 };
		memcpy(p, hdr, 12);
		memcpy(p + 12, "VMCOREINFO", 11);
		p += NOTE_TEXT;
	}
	memcpy(p, text, (size_t)n);
}

static int fx_discover(struct fx *f, enum discover_how how)
{
	f->o.how = how;
	f->err[0] = '\0';
	memset(&f->ki, 0x5a, sizeof(f->ki));
	return kernel_discover(&f->ki, &f->s.mem, &f->vm, &f->o, f->err);
}

static void expect_err(struct fx *f, const char *part)
{
	if (!strstr(f->err, part))
		fail_msg("error \"%s\" lacks \"%s\"", f->err, part);
}

/* Everything known of the kernel, against what was placed. */
static void check_found(struct fx *f)
{
	const struct kernel_info *ki = &f->ki;
	assert_ptr_equal(ki->arch, &kernel_x86_64);
	assert_true(ki->kaslr_offset == f->koff);
	assert_true(ki->phys_base == f->phys_base);
	assert_int_equal(ki->as.levels, f->levels);
	assert_true(ki->as.page_offset == f->page_offset);
	assert_true(ki->as.root_pa == f->root);
	assert_ptr_equal(ki->as.mem, &f->s.mem);
	assert_ptr_equal(ki->as.arch, &arch_x86_64);
	assert_true(ki->as.image_start == SK_TEXT + f->koff);
	assert_true(ki->as.image_end == SK_END + f->koff);
	assert_true(ki->as.image_start - ki->as.image_pa_delta == f->img_pa);
	assert_true(ki->as.direct_size == RAM_SIZE);
	assert_string_equal(ki->release, "6.1.0-56-cloud-amd64");
	/* The kernel's variables read through what was found. */
	uint32_t cpus = 0;
	assert_true(kernel_read_sym(ki, &f->vm, "nr_cpu_ids", &cpus, 4));
	assert_int_equal(cpus, NR_CPUS);
	char banner[sizeof(SK_BANNER_TEXT)];
	assert_true(kernel_read_sym(ki, &f->vm, "linux_banner", banner,
				    sizeof(banner)));
	assert_memory_equal(banner, SK_BANNER_TEXT, sizeof(banner));
	/* The direct map is walked through the synthetic tables. */
	struct kva_xlat x;
	assert_int_equal(kva_translate(&ki->as, f->page_offset + LIVE_PA, &x,
				       NULL), PT_OK);
	assert_true(x.pa == LIVE_PA);
	assert_int_equal(x.how, KVA_DIRECT);
}

static void check_by_vmcoreinfo(struct fx *f, uint64_t pa)
{
	if (fx_discover(f, DISCOVER_AUTO))
		fail_msg("kernel_discover: %s", f->err);
	check_found(f);
	assert_true(f->ki.vmcoreinfo_pa == pa);
	assert_non_null(strstr(f->ki.method, "vmcoreinfo"));
	/* The same with vmcoreinfo only. */
	if (fx_discover(f, DISCOVER_VMCOREINFO))
		fail_msg("kernel_discover: %s", f->err);
	check_found(f);
	assert_true(f->ki.vmcoreinfo_pa == pa);
}

static void check_by_banner(struct fx *f)
{
	if (fx_discover(f, DISCOVER_BANNER))
		fail_msg("kernel_discover by banner: %s", f->err);
	check_found(f);
	assert_true(f->ki.vmcoreinfo_pa == UINT64_MAX);
	assert_non_null(strstr(f->ki.method, "linux_banner"));
}

static void run_placements(unsigned levels)
{
	static const struct {
		uint64_t img_pa, koff;
	} place[] = {
		{ IMG_PA_DEFAULT, KOFF_DEFAULT }, /* negative phys_base */
		{ 16 * MiB, 0 },                  /* no KASLR: phys_base 0 */
		{ 8 * MiB, 0 },                   /* phys_base -8 MiB */
		{ 56 * MiB, 0x3e000000 },         /* top of the window */
		{ 48 * MiB, 2 * MiB },
	};
	for (size_t i = 0; i < sizeof(place) / sizeof(place[0]); i++) {
		struct fx *f = fx_new(levels);
		fx_image(f, place[i].img_pa, place[i].koff);
		fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff,
			      f->phys_base, false);
		check_by_vmcoreinfo(f, LIVE_PA);
		check_by_banner(f);
		fx_free(f);
	}
}

static void test_found_l4(void **state)
{
	(void)state;
	run_placements(4);
}

static void test_found_l5(void **state)
{
	(void)state;
	run_placements(5);
}

/* The copy vmcoreinfo_note points to (an ELF note): text at +24. */
static void test_note_copy(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	fx_vmcoreinfo(f, NOTE_PA, SK_BUILD_ID_HEX, f->koff, f->phys_base,
		      true);
	check_by_vmcoreinfo(f, NOTE_PA + NOTE_TEXT);
	fx_free(f);
}

/* Without vmcoreinfo, AUTO falls back to the banner. */
static void test_auto_falls_back_to_banner(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	if (fx_discover(f, DISCOVER_AUTO))
		fail_msg("kernel_discover: %s", f->err);
	check_found(f);
	assert_non_null(strstr(f->ki.method, "linux_banner"));
	/* vmcoreinfo only: not found, and the message says why. */
	assert_int_equal(fx_discover(f, DISCOVER_VMCOREINFO), -1);
	expect_err(f, "0 vmcoreinfo copies");
	expect_err(f, "--wait");
	fx_free(f);
}

/* A copy from an earlier boot of the same build at a lower address than
 * the live one: the scan meets it first and must pass over it. */
static void test_stale_copy_skipped(void **state)
{
	(void)state;
	for (int consistent = 0; consistent < 2; consistent++) {
		struct fx *f = fx_new(4);
		fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
		uint64_t skoff = f->koff + 0x10000000;
		/* consistent: the old offsets put the image at the same PA,
		 * so only vmcoreinfo_data tells the copies apart; else the
		 * banner is not where the old offsets say. */
		uint64_t spb = consistent ? f->phys_base - 0x10000000
					  : f->phys_base;
		fx_vmcoreinfo(f, STALE_PA, SK_BUILD_ID_HEX, skoff, spb, false);
		fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff,
			      f->phys_base, false);
		check_by_vmcoreinfo(f, LIVE_PA);

		/* The stale copy alone: counted, and not believed. (When
		 * the old offsets do not even reach the image's variables,
		 * x86_finish refuses it before the liveness check and it is
		 * not counted as stale: see the report.) */
		memset(synth_ptr(&f->s, LIVE_PA, SYN_4K), 0, SYN_4K);
		assert_int_equal(fx_discover(f, DISCOVER_VMCOREINFO), -1);
		expect_err(f, consistent ? "1 vmcoreinfo copies, 1 stale"
					 : "1 vmcoreinfo copies");
		expect_err(f, "--wait");
		/* AUTO: the banner finds the live kernel. */
		if (fx_discover(f, DISCOVER_AUTO))
			fail_msg("kernel_discover: %s", f->err);
		check_found(f);
		assert_true(f->ki.vmcoreinfo_pa == UINT64_MAX);
		fx_free(f);
	}
}

/* Only a vmcoreinfo of another build: the message names both ids. */
static void test_other_build_id(void **state)
{
	(void)state;
	static const char other[] = "0123456789abcdef0123456789abcdef01234567";
	struct fx *f = fx_new(4);
	f->koff = KOFF_DEFAULT;
	f->phys_base = phys_base_for(IMG_PA_DEFAULT, KOFF_DEFAULT);
	fx_vmcoreinfo(f, FOREIGN_PA, other, f->koff, f->phys_base, false);
	for (int how = DISCOVER_AUTO; how <= DISCOVER_VMCOREINFO; how++) {
		assert_int_equal(fx_discover(f, (enum discover_how)how), -1);
		expect_err(f, "another kernel");
		expect_err(f, other);
		expect_err(f, SK_BUILD_ID_HEX);
	}
	/* With the live kernel present as well, the matching copy wins
	 * over the foreign one met first. */
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff, f->phys_base,
		      false);
	check_by_vmcoreinfo(f, LIVE_PA);
	fx_free(f);
}

static void test_no_kernel(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	for (int how = DISCOVER_AUTO; how <= DISCOVER_BANNER; how++) {
		assert_int_equal(fx_discover(f, (enum discover_how)how), -1);
		expect_err(f, "kernel not found in guest RAM");
		expect_err(f, "--wait");
	}
	expect_err(f, "no linux_banner of this vmlinux in guest RAM");
	/* Random bytes instead of zeros. */
	synth_fill(&f->s, 42);
	assert_int_equal(fx_discover(f, DISCOVER_AUTO), -1);
	expect_err(f, "--wait");
	fx_free(f);
}

static void test_given_offsets(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	/* No vmcoreinfo; both overrides skip discovery. */
	f->o.have_kaslr_offset = f->o.have_phys_base = true;
	f->o.kaslr_offset = f->koff;
	f->o.phys_base = f->phys_base;
	if (fx_discover(f, DISCOVER_AUTO))
		fail_msg("kernel_discover: %s", f->err);
	check_found(f);
	assert_string_equal(f->ki.method, "given offsets");
	assert_true(f->ki.vmcoreinfo_pa == UINT64_MAX);

	/* Wrong ones: the image's variables are not there. */
	f->o.kaslr_offset = f->koff + 16 * MiB;
	assert_int_equal(fx_discover(f, DISCOVER_AUTO), -1);
	expect_err(f, "page_offset_base reads 0");
	/* Wrong ones that find a copy of .data (page_offset_base valid)
	 * but no banner: the image is not there. */
	memcpy(synth_ptr(&f->s, img_pa_of(f, SK_DATA) + 16 * MiB,
			 SK_DATA_SIZE),
	       synth_ptr(&f->s, img_pa_of(f, SK_DATA), SK_DATA_SIZE),
	       SK_DATA_SIZE);
	assert_int_equal(fx_discover(f, DISCOVER_AUTO), -1);
	expect_err(f, "not where it should be");
	expect_err(f, "KASLR offset 0x2f400000");
	/* Outside the kernel map. */
	f->o.kaslr_offset = (uint64_t)-(int64_t)(64 * MiB);
	assert_int_equal(fx_discover(f, DISCOVER_AUTO), -1);
	expect_err(f, "outside the kernel map");

	f->o.kaslr_offset = f->koff;
	memset(synth_ptr(&f->s, img_pa_of(f, SK_DATA) + 16 * MiB,
			 SK_DATA_SIZE), 0, SK_DATA_SIZE);

	/* One override: discovery runs, then the value replaces what it
	 * found. */
	f->o.have_phys_base = false;
	f->o.kaslr_offset = f->koff;
	fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff, f->phys_base,
		      false);
	if (fx_discover(f, DISCOVER_AUTO))
		fail_msg("kernel_discover: %s", f->err);
	check_found(f);
	assert_non_null(strstr(f->ki.method, "offset overridden"));
	fx_free(f);
}

/* Given offsets that put the image at the right physical address with the
 * wrong virtual offset (KASLR offset +2 MiB, phys_base -2 MiB): the image
 * formula reads the right bytes, but the kernel's page tables map the
 * image elsewhere, and every symbol gdb is given would be 2 MiB off. */
static void test_given_offsets_checked_by_tables(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	f->o.have_kaslr_offset = f->o.have_phys_base = true;
	f->o.kaslr_offset = f->koff + 2 * MiB;
	f->o.phys_base = f->phys_base - 2 * MiB;
	int rc = fx_discover(f, DISCOVER_AUTO);
	if (!rc)
		fail_msg("wrong offsets accepted: KASLR offset %#llx (real "
			 "%#llx), method \"%s\"",
			 (unsigned long long)f->ki.kaslr_offset,
			 (unsigned long long)f->koff, f->ki.method);
	expect_err(f, "not where it should be");
	fx_free(f);
}

/* Broken page tables under the banner search: no hang, no crash, an
 * error. */
static void test_corrupt_tables(void **state)
{
	(void)state;
	for (int kind = 0; kind < 5; kind++) {
		struct fx *f = fx_new(4);
		fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
		uint64_t *root = (uint64_t *)(void *)synth_ptr(&f->s, f->root,
							       SYN_4K);
		uint64_t img_va = SK_TEXT + f->koff;
		unsigned i4 = synth_index(img_va, 4);
		switch (kind) {
		case 0: /* PSE in the PML4 entry: reserved */
			root[i4] |= PTE_PSE;
			break;
		case 1: /* every entry points at the table itself */
			for (unsigned i = 0; i < 512; i++)
				root[i] = f->root | PTE_P | PTE_RW;
			break;
		case 2: { /* the PUD entry points back at the PML4 */
			uint64_t pmd_e = synth_find_entry(&f->s, f->root, 4,
							  img_va, 3);
			synth_put64(&f->s, pmd_e, f->root | PTE_P | PTE_RW);
			break;
		}
		case 3: /* entries past the end of RAM */
			root[i4] = (RAM_SIZE + 0x1000) | PTE_P | PTE_RW;
			break;
		default: /* random bits */
			synth_fill(&f->s, 7);
			fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
			root = (uint64_t *)(void *)synth_ptr(&f->s, f->root,
							     SYN_4K);
			uint64_t seed = 99;
			for (unsigned i = 0; i < 512; i++)
				root[i] = synth_rand(&seed) | PTE_P;
			break;
		}
		int rc = fx_discover(f, DISCOVER_BANNER);
		if (kind != 4) {
			assert_int_equal(rc, -1);
			expect_err(f, "no linux_banner");
		} else if (rc) {
			expect_err(f, "--wait");
		}
		fx_free(f);
	}
}

static void test_locate(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff, f->phys_base,
		      false);
	struct locate_result res;
	/* AUTO on 64 MiB: q35 and pc agree, so flat. */
	guest_mem_clear_regions(&f->s.mem);
	memset(&res, 0, sizeof(res));
	if (kernel_locate(&f->s.mem, &f->vm, LAYOUT_AUTO, &f->o, &f->ki, &res,
			  f->err))
		fail_msg("kernel_locate: %s", f->err);
	assert_int_equal(res.layout, LAYOUT_FLAT);
	assert_non_null(strstr(res.layout_why, "flat"));
	assert_int_equal(f->s.mem.nr_regions, 1);
	check_found(f);

	/* Explicit: the regions already there are kept. */
	if (kernel_locate(&f->s.mem, &f->vm, LAYOUT_EXPLICIT, &f->o, &f->ki,
			  &res, f->err))
		fail_msg("kernel_locate: %s", f->err);
	assert_int_equal(res.layout, LAYOUT_EXPLICIT);
	assert_non_null(strstr(res.layout_why, "--region"));
	check_found(f);

	/* Given: q35 of 64 MiB is one region at 0. */
	if (kernel_locate(&f->s.mem, &f->vm, LAYOUT_Q35, &f->o, &f->ki, &res,
			  f->err))
		fail_msg("kernel_locate: %s", f->err);
	assert_int_equal(res.layout, LAYOUT_Q35);
	assert_non_null(strstr(res.layout_why, "--layout"));
	check_found(f);

	/* virt puts RAM at 1 GiB: no kernel there. */
	assert_int_equal(kernel_locate(&f->s.mem, &f->vm, LAYOUT_VIRT, &f->o,
				       &f->ki, &res, f->err), -1);
	expect_err(f, "--wait");
	fx_free(f);
}

/* An ELF for another machine is refused by name. */
static void test_unsupported_machine(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	f->vm.machine = EM_RISCV;
	assert_int_equal(fx_discover(f, DISCOVER_AUTO), -1);
	expect_err(f, "not supported");
	expect_err(f, f->k.path);
	f->vm.machine = EM_X86_64;
	fx_free(f);
}

/* A target whose kernel is found through the command line's own finder
 * (memory_arg_locate) with layout and pid as given. */
struct tx {
	struct options o;
	struct memory_arg ma;
	struct kernel_target kt;
};

static void tx_init(struct tx *t, struct guest_mem *m,
		    const struct vmlinux *vm, enum layout_kind layout, int pid)
{
	memset(t, 0, sizeof(*t));
	t->ma.o = &t->o;
	t->ma.layout = layout;
	t->ma.pid = pid;
	t->kt.mem = m;
	t->kt.vm = vm;
	t->kt.finder = (struct kernel_finder){ memory_arg_locate, &t->ma };
}

/* Found: the target takes the view's regions, and the kernel's address
 * space reads through the target's memory, not the dropped view. */
static void test_target_locate_swaps_in(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff, f->phys_base,
		      false);
	guest_mem_clear_regions(&f->s.mem);
	struct tx *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	tx_init(t, &f->s.mem, &f->vm, LAYOUT_AUTO, 0);
	if (kernel_target_locate(&t->kt, f->err))
		fail_msg("kernel_target_locate: %s", f->err);
	assert_ptr_equal(t->kt.ki.as.mem, &f->s.mem);
	assert_int_equal(f->s.mem.nr_regions, 1);
	assert_int_equal(t->kt.where.layout, LAYOUT_FLAT);
	f->ki = t->kt.ki;
	check_found(f);
	free(t);
	fx_free(f);
}

/* The issue this guards against: AUTO on >= 2.75 GiB of x86 RAM applies
 * q35's layout, then pc's; a rescan that finds nothing must leave the
 * layout the kernel was found in (q35, by RAM size here) and the kernel
 * as it was, so the old kernel is still served right. The RAM is a sparse
 * 3 GiB file holding the synthetic kernel in its first 64 MiB. */
static void test_failed_rescan_keeps_layout(void **state)
{
	(void)state;
	struct fx *f = fx_new(4);
	fx_image(f, IMG_PA_DEFAULT, KOFF_DEFAULT);
	fx_vmcoreinfo(f, LIVE_PA, SK_BUILD_ID_HEX, f->koff, f->phys_base,
		      false);
	char path[] = "/tmp/lkstub-rescan-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3ULL << 30), 0);
	assert_int_equal(pwrite(fd, f->s.buf, RAM_SIZE, 0), (ssize_t)RAM_SIZE);
	struct guest_mem m;
	char err[ERR_LEN];
	if (guest_mem_open_file(&m, path, false, err))
		fail_msg("guest_mem_open_file: %s", err);
	struct tx *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	tx_init(t, &m, &f->vm, LAYOUT_AUTO, 0);
	if (kernel_target_locate(&t->kt, err))
		fail_msg("kernel_target_locate: %s", err);
	assert_int_equal(t->kt.where.layout, LAYOUT_Q35);
	assert_int_equal(m.nr_regions, 2);
	assert_true(m.regions[1].gpa == 4ULL << 30 &&
		    m.regions[1].offset == 2ULL << 30);
	struct kernel_info before = t->kt.ki;

	/* The guest "reboots" into nothing lkstub can find. */
	static const uint8_t zero[4096];
	assert_int_equal(pwrite(fd, zero, sizeof(zero), LIVE_PA),
			 (ssize_t)sizeof(zero));
	assert_int_equal(pwrite(fd, zero, sizeof(zero),
				(off_t)(img_pa_of(f, SK_BANNER) & ~0xfffULL)),
			 (ssize_t)sizeof(zero));
	assert_int_equal(kernel_target_rescan(&t->kt, err), -1);
	/* Still q35's regions, still the kernel as it was. */
	assert_int_equal(t->kt.where.layout, LAYOUT_Q35);
	assert_int_equal(m.nr_regions, 2);
	assert_true(m.regions[0].gpa == 0 && m.regions[0].size == 2ULL << 30);
	assert_true(m.regions[1].gpa == 4ULL << 30 &&
		    m.regions[1].offset == 2ULL << 30);
	assert_memory_equal(&t->kt.ki, &before, sizeof(before));
	assert_ptr_equal(t->kt.ki.as.mem, &m);
	uint32_t cpus = 0; /* the image itself was left alone */
	assert_true(kernel_read_sym(&t->kt.ki, &f->vm, "nr_cpu_ids", &cpus,
				    4));
	assert_int_equal(cpus, NR_CPUS);
	free(t);
	guest_mem_close(&m);
	close(fd);
	unlink(path);
	fx_free(f);
}

/* MEMORY = pid:PID: the finder moves the RAM window over the VMM's large
 * mappings; a rescan that finds nothing leaves the window where the
 * kernel was. The "VMM" is a python3 process holding 48 MiB of zeroes,
 * so every candidate fails. */
static void test_failed_rescan_keeps_ram_window(void **state)
{
	(void)state;
	int to_child[2], from_child[2];
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(from_child), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[1]);
		close(from_child[0]);
		execlp("python3", "python3", "-c",
		       "import mmap,sys\n"
		       "m = mmap.mmap(-1, 48 << 20)\n"
		       "m[0:1] = b'x'\n"
		       "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
		       "sys.stdin.read()\n", (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	char ready[8] = "";
	if (read(from_child[0], ready, sizeof(ready)) != 6)
		fail_msg("python3 (the stand-in VMM) did not start");

	struct fx *f = fx_new(4); /* only its vmlinux is used */
	struct guest_mem m;
	char err[ERR_LEN];
	if (guest_mem_open_process(&m, pid, false, err))
		fail_msg("guest_mem_open_process: %s", err);
	/* As if the kernel had been found in a 16 MiB mapping at 0x1000000
	 * of the VMM. */
	m.ram_base = 0x1000000;
	m.ram_size = 16 * MiB;
	if (guest_mem_add_region(&m, 0, 16 * MiB, 0x1000000, err))
		fail_msg("guest_mem_add_region: %s", err);
	struct tx *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	tx_init(t, &m, &f->vm, LAYOUT_AUTO, pid);
	t->kt.ki.kaslr_offset = 0x1234000;
	assert_int_equal(kernel_target_rescan(&t->kt, err), -1);
	if (!strstr(err, "tried"))
		fail_msg("no mapping was tried: %s", err);
	assert_true(m.ram_base == 0x1000000 && m.ram_size == 16 * MiB);
	assert_int_equal(m.nr_regions, 1);
	assert_true(m.regions[0].offset == 0x1000000);
	assert_true(t->kt.ki.kaslr_offset == 0x1234000);

	close(to_child[1]);
	close(from_child[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(t);
	guest_mem_close(&m);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_l4),
		cmocka_unit_test(test_found_l5),
		cmocka_unit_test(test_note_copy),
		cmocka_unit_test(test_auto_falls_back_to_banner),
		cmocka_unit_test(test_stale_copy_skipped),
		cmocka_unit_test(test_other_build_id),
		cmocka_unit_test(test_no_kernel),
		cmocka_unit_test(test_given_offsets),
		cmocka_unit_test(test_given_offsets_checked_by_tables),
		cmocka_unit_test(test_corrupt_tables),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_unsupported_machine),
		cmocka_unit_test(test_target_locate_swaps_in),
		cmocka_unit_test(test_failed_rescan_keeps_layout),
		cmocka_unit_test(test_failed_rescan_keeps_ram_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
