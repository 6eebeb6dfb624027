/* aarch64 kernels: the image through kimage_voffset (pa = va -
 * kimage_voffset), the linear map from PAGE_OFFSET = -(1 << VA_BITS) and
 * PHYS_OFFSET, and the walk of swapper_pg_dir driven by the translation
 * control state (TCR_EL1's T1SZ and granule). */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kernel.h"
#include "common/err.h"

/* Granule of the vmlinux: the kernel's linker script gives each of its
 * top-level tables one page, swapper_pg_dir right after reserved_pg_dir
 * (5.13+), and ending at swapper_pg_end before that. */
unsigned aarch64_vmlinux_page_shift(const struct vmlinux *vm)
{
	uint64_t pgd, end, prev, d = 0;
	if (!vmlinux_sym(vm, "swapper_pg_dir", &pgd))
		return 12;
	if (vmlinux_sym(vm, "swapper_pg_end", &end) && end > pgd)
		d = end - pgd;
	else if (vmlinux_sym(vm, "reserved_pg_dir", &prev) && prev < pgd)
		d = pgd - prev;
	switch (d) {
	case 4096: return 12;
	case 16384: return 14;
	case 65536: return 16;
	}
	return 12;
}

/* VA_BITS_MIN of the vmlinux: the image is linked just above the modules
 * area, which starts at -(1 << (VA_BITS_MIN - 1)). */
static unsigned vmlinux_va_bits(const struct vmlinux *vm)
{
	uint64_t text;
	if (!vmlinux_sym(vm, "_text", &text) || !~text)
		return 48;
	return 64 - (unsigned)__builtin_clzll(~text) + 1;
}

/* With kaslr_offset, phys_base (PHYS_OFFSET), image_pa_delta
 * (kimage_voffset) and the walk parameters set: the rest. */
static int a64_finish(struct kernel_info *ki, const struct vmlinux *vm,
		      const struct guest_mem *m, unsigned va_bits_config,
		      char *err)
{
	struct kernel_as *as = &ki->as;
	uint64_t text, end, pgd;
	if (!vmlinux_sym(vm, "_text", &text) || !vmlinux_sym(vm, "_end", &end) ||
	    !vmlinux_sym(vm, "swapper_pg_dir", &pgd))
		return set_err(err, "vmlinux lacks _text/_end/swapper_pg_dir");
	as->mem = m;
	as->arch = &arch_aarch64;
	as->image_start = text + ki->kaslr_offset;
	as->image_end = end + ki->kaslr_offset;
	as->root_pa = pgd + ki->kaslr_offset - as->image_pa_delta;
	if (va_bits_config < 36 || va_bits_config > 52)
		return set_err(err, "VA_BITS %u is not an arm64 kernel's",
			       va_bits_config);
	as->page_offset = 0 - (1ULL << va_bits_config);
	as->direct_pa_base = ki->phys_base;
	as->direct_size = guest_mem_end(m) > ki->phys_base
				  ? guest_mem_end(m) - ki->phys_base : 0;
	return 0;
}

static int from_vmcoreinfo_aarch64(struct kernel_info *ki,
				   const struct vmcoreinfo *vi,
				   const struct vmlinux *vm,
				   const struct guest_mem *m, char *err)
{
	int64_t va_bits, voff, phys_off, t1sz, pagesize = 0;
	if (!vmcoreinfo_hex(vi, "KERNELOFFSET", &ki->kaslr_offset) ||
	    !vmcoreinfo_number(vi, "VA_BITS", &va_bits) ||
	    !vmcoreinfo_number(vi, "kimage_voffset", &voff) ||
	    !vmcoreinfo_number(vi, "PHYS_OFFSET", &phys_off))
		return set_err(err, "vmcoreinfo lacks KERNELOFFSET, VA_BITS, "
			       "kimage_voffset or PHYS_OFFSET");
	const char *ps = vmcoreinfo_get(vi, "PAGESIZE");
	if (ps)
		pagesize = strtol(ps, NULL, 10);
	unsigned shift = pagesize == 16384 ? 14 : pagesize == 65536 ? 16
				   : pagesize == 4096 ? 12
				   : aarch64_vmlinux_page_shift(vm);
	ki->phys_base = (uint64_t)phys_off;
	ki->as.image_pa_delta = (uint64_t)voff;
	/* T1SZ is the VA width in use; VA_BITS only the configured one
	 * (a 52-bit kernel runs with 48 bits on hardware without LVA). */
	bool have_t1sz = vmcoreinfo_number(vi, "TCR_EL1_T1SZ", &t1sz) &&
			 t1sz > 0 && t1sz < 64;
	unsigned walk_bits = have_t1sz ? 64 - (unsigned)t1sz
				       : (unsigned)va_bits;
	/* LPA2 (4K/16K) is in use only when the kernel runs with 52-bit VAs
	 * (without it, bits 9:8 are shareability, not PA[51:50]). With 64K
	 * pages a 52-bit kernel puts PA[51:48] in bits 15:12, which are zero
	 * for smaller addresses anyway. */
	bool pa52 = shift == 16 ? va_bits == 52 : walk_bits == 52;
	if (aarch64_paging_setup(&ki->as, walk_bits, shift, pa52, err))
		return -1;
	snprintf(ki->paging_note, sizeof(ki->paging_note),
		 "%u-bit VA from %s, %u KiB granule, kimage_voffset %#llx",
		 walk_bits, have_t1sz ? "TCR_EL1_T1SZ" : "VA_BITS (no TCR)",
		 1u << (shift - 10), (unsigned long long)voff);
	return a64_finish(ki, vm, m, (unsigned)va_bits, err);
}

/* Read a u64 variable of the image at its offset from _text's PA. */
static bool image_u64(const struct vmlinux *vm, const struct guest_mem *m,
		      uint64_t text_pa, const char *name, uint64_t *val)
{
	uint64_t text, sym;
	return vmlinux_sym(vm, "_text", &text) && vmlinux_sym(vm, name, &sym) &&
	       sym >= text &&
	       guest_mem_read(m, text_pa + (sym - text), val, 8) == 8;
}

static int from_image_aarch64(struct kernel_info *ki, uint64_t text_pa,
			      const struct vmlinux *vm,
			      const struct guest_mem *m, char *err)
{
	uint64_t text, voff, vabits = vmlinux_va_bits(vm), memstart;
	if (!vmlinux_sym(vm, "_text", &text))
		return set_err(err, "vmlinux lacks _text");
	/* The kernel's own variables, at fixed offsets inside the image. */
	if (!image_u64(vm, m, text_pa, "kimage_voffset", &voff))
		return set_err(err, "cannot read kimage_voffset");
	bool have_vabits = image_u64(vm, m, text_pa, "vabits_actual", &vabits);
	if (!image_u64(vm, m, text_pa, "memstart_addr", &memstart))
		return set_err(err, "cannot read memstart_addr");
	/* Confirm: kimage_voffset must map the runtime _text to text_pa. */
	uint64_t runtime_text = text_pa + voff;
	if (runtime_text < text || (runtime_text - text) % 65536)
		return set_err(err, "kimage_voffset %#llx does not fit _text",
			       (unsigned long long)voff);
	ki->kaslr_offset = runtime_text - text;
	ki->phys_base = memstart;
	ki->as.image_pa_delta = voff;
	unsigned shift = aarch64_vmlinux_page_shift(vm);
	if (aarch64_paging_setup(&ki->as, (unsigned)vabits, shift,
				 vabits == 52, err)) /* vabits_actual: in use */
		return -1;
	if (a64_finish(ki, vm, m, (unsigned)vabits, err))
		return -1;
	const char *from = have_vabits ? "vabits_actual"
				       : "the vmlinux's link address";
	uint64_t stext;
	if (!have_vabits && vabits != 52 && vmlinux_sym(vm, "_stext", &stext)) {
		/* 6.9+ has no vabits_actual in memory (it is read from
		 * TCR_EL1): a 52-bit kernel (LPA2) runs 52-bit VAs where the
		 * CPU has them, else VA_BITS_MIN, the link address's width.
		 * The width under which the tables map _stext where the
		 * image formula puts it is the one in use. */
		const unsigned cand[] = { (unsigned)vabits, 52 };
		stext += ki->kaslr_offset;
		int i = aarch64_paging_probe(&ki->as, cand, 2, shift, stext,
					     stext - voff, err);
		if (i < 0 && err[0])
			return -1;
		if (i == 1) {
			vabits = 52;
			if (a64_finish(ki, vm, m, 52, err))
				return -1;
		}
		if (i >= 0)
			from = i == 1 ? "the walk of _stext (52-bit tables)"
				      : "the vmlinux's link address and the "
					"walk of _stext";
	}
	snprintf(ki->paging_note, sizeof(ki->paging_note),
		 "%u-bit VA from %s, %u KiB granule of the vmlinux (TCR_EL1 "
		 "not known), kimage_voffset %#llx", (unsigned)vabits, from,
		 1u << (shift - 10), (unsigned long long)voff);
	return 0;
}

static int from_offsets_aarch64(struct kernel_info *ki,
				const struct vmlinux *vm,
				const struct guest_mem *m, char *err)
{
	(void)ki;
	(void)vm;
	(void)m;
	return set_err(err, "aarch64: --kaslr-offset/--phys-base are not "
		       "supported (kimage_voffset is found from the image)");
}

/* cpu_switch_to saves x19-x28, fp, sp and lr (as pc) in
 * thread.cpu_context. */
static void frame_layout_aarch64(const struct btf_types *bt,
				 struct frame_layout *fl)
{
	static const char *const member[] = {
		"x19", "x20", "x21", "x22", "x23", "x24", "x25",
		"x26", "x27", "x28", "fp", "sp", "pc",
	};
	static const char *const reg[] = {
		"x19", "x20", "x21", "x22", "x23", "x24", "x25",
		"x26", "x27", "x28", "x29", "sp", "pc",
	};
	memset(fl, 0, sizeof(*fl));
	fl->at = btf_field(bt, "task_struct", "thread.cpu_context").offset;
	fl->size = btf_struct_size(bt, "cpu_context");
	for (size_t i = 0; fl->at >= 0 && i < sizeof(member) / sizeof(member[0]);
	     i++) {
		long off = btf_field(bt, "cpu_context", member[i]).offset;
		if (off < 0)
			continue;
		fl->r[fl->n].reg = reg[i];
		fl->r[fl->n++].offset = off;
	}
	if (fl->at < 0 || fl->n == 0) {
		fl->at = -1;
		snprintf(fl->missing, sizeof(fl->missing),
			 "thread.cpu_context or struct cpu_context");
	}
}

static int saved_regs_aarch64(const struct kernel_info *ki,
			      const struct frame_layout *fl, uint64_t task,
			      struct saved_regs *out, char *err)
{
	if (fl->at < 0)
		return set_err(err, "BTF lacks %s", fl->missing);
	out->n = 0;
	for (unsigned i = 0; i < fl->n && i < FRAME_MAX_REGS; i++) {
		uint64_t v;
		if (kva_read(&ki->as, task + (uint64_t)(fl->at + fl->r[i].offset),
			     &v, 8) != 8)
			continue;
		out->r[out->n].name = fl->r[i].reg;
		out->r[out->n++].value = v;
		/* cpu_switch_to returned with lr = the saved pc: x30 holds it
		 * too, which lets gdb unwind a leaf-like first frame. */
		if (!strcmp(fl->r[i].reg, "pc")) {
			out->r[out->n].name = "x30";
			out->r[out->n++].value = v;
		}
	}
	return out->n ? 0 : set_err(err, "cpu_context unreadable");
}

/* struct elf_prstatus: pr_reg (struct user_pt_regs) at 112. */
static int prstatus_regs_aarch64(const void *desc, size_t len,
				 struct saved_regs *out)
{
	static const char *const names[] = {
		"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
		"x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16",
		"x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24",
		"x25", "x26", "x27", "x28", "x29", "x30", "sp", "pc",
		"cpsr",
	};
	return prstatus_to_regs(desc, len, 112, names,
				sizeof(names) / sizeof(names[0]), out);
}

/* The bits a PAC signature may occupy in a kernel pointer: everything
 * above the VA width but bit 55, which selects TTBR1 (the kernel's
 * KERNELPACMASK, the same for code and data). */
static void fixed_regs_aarch64(const struct kernel_info *ki,
			       struct saved_regs *out)
{
	static const char *const names[] = { "pauth_dmask", "pauth_cmask",
					     "pauth_dmask_high",
					     "pauth_cmask_high" };
	uint64_t mask = ~((1ULL << ki->as.va_bits) - 1) & ~(1ULL << 55);
	out->n = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		out->r[out->n].name = names[i];
		out->r[out->n++].value = mask;
	}
}

/* QEMU's virt machine has one RAM layout. */
static unsigned layouts_aarch64(uint64_t ram_size, enum layout_kind *out)
{
	(void)ram_size;
	out[0] = LAYOUT_VIRT;
	return 1;
}

const struct kernel_arch kernel_aarch64 = {
	.name = "aarch64",
	.elf_machine = EM_AARCH64,
	.paging = &arch_aarch64,
	.image_align = 64 << 10, /* the smallest arm64 image alignment */
	.phys_base_name = "PHYS_OFFSET",
	.from_vmcoreinfo = from_vmcoreinfo_aarch64,
	.from_image = from_image_aarch64,
	.from_offsets = from_offsets_aarch64,
	.fixed_regs = fixed_regs_aarch64,
	.current_reg = "SP_EL0",
	.frame_layout = frame_layout_aarch64,
	.saved_regs = saved_regs_aarch64,
	.prstatus_regs = prstatus_regs_aarch64,
	.layouts = layouts_aarch64,
	.ram_below_4g = NULL,
};
