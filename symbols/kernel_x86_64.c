/* x86_64 kernels: where the image, the direct map and the top-level page
 * table are, from vmcoreinfo, from the image found by its banner, or from
 * offsets the user gave. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "symbols/kernel.h"
#include "common/err.h"

#define START_KERNEL_MAP   0xffffffff80000000ULL
#define KERNEL_IMAGE_SIZE  (1ULL << 30) /* with KASLR */
#define PAGE_OFFSET_L4     0xffff888000000000ULL
#define PAGE_OFFSET_L5     0xff11000000000000ULL
#define E820_TYPE_RAM      1
#define E820_MAX_ENTRIES   (128 + 3 * 1024) /* NODES_SHIFT <= 10 */
#define FOUR_GIB           (1ULL << 32)

/* With kaslr_offset, phys_base and levels set: everything else. */
static int x86_finish(struct kernel_info *ki, const struct vmlinux *vm,
		      const struct guest_mem *m, char *err)
{
	struct kernel_as *as = &ki->as;
	uint64_t text, end, pgt;
	if (!vmlinux_sym(vm, "_text", &text) || !vmlinux_sym(vm, "_end", &end) ||
	    !vmlinux_sym(vm, "init_top_pgt", &pgt))
		return set_err(err, "vmlinux lacks _text/_end/init_top_pgt");
	as->mem = m;
	as->arch = &arch_x86_64;
	as->image_start = text + ki->kaslr_offset;
	as->image_end = end + ki->kaslr_offset;
	/* pa = va - __START_KERNEL_map + phys_base */
	as->image_pa_delta = START_KERNEL_MAP - ki->phys_base;
	as->root_pa = pgt + ki->kaslr_offset - as->image_pa_delta;
	if (as->image_start < START_KERNEL_MAP || as->image_end < as->image_start)
		return set_err(err, "KASLR offset %#llx puts the image outside "
			       "the kernel map",
			       (unsigned long long)ki->kaslr_offset);
	if (!as->levels) {
		uint32_t l5 = 0;
		if (vmlinux_sym(vm, "__pgtable_l5_enabled", &pgt) &&
		    !kernel_read_sym(ki, vm, "__pgtable_l5_enabled", &l5, 4))
			return set_err(err, "cannot read __pgtable_l5_enabled");
		as->levels = l5 ? 5 : 4;
	}
	as->page_offset = as->levels == 5 ? PAGE_OFFSET_L5 : PAGE_OFFSET_L4;
	uint64_t pob;
	if (vmlinux_sym(vm, "page_offset_base", &pob)) {
		if (!kernel_read_sym(ki, vm, "page_offset_base", &pob, 8))
			return set_err(err, "cannot read page_offset_base");
		/* KASLR keeps it 1 GiB aligned in the kernel half. */
		uint64_t lowest = as->levels == 5 ? 0xff00000000000000ULL
						  : 0xffff800000000000ULL;
		if (pob < lowest || (pob & ((1ULL << 30) - 1)))
			return set_err(err, "page_offset_base reads %#llx: "
				       "not a direct-map base",
				       (unsigned long long)pob);
		as->page_offset = pob;
	}
	as->direct_pa_base = 0;
	as->direct_size = guest_mem_end(m);
	return 0;
}

static int from_vmcoreinfo_x86_64(struct kernel_info *ki,
				  const struct vmcoreinfo *vi,
				  const struct vmlinux *vm,
				  const struct guest_mem *m, char *err)
{
	int64_t phys_base, l5 = 0;
	if (!vmcoreinfo_hex(vi, "KERNELOFFSET", &ki->kaslr_offset) ||
	    !vmcoreinfo_number(vi, "phys_base", &phys_base))
		return set_err(err, "vmcoreinfo lacks KERNELOFFSET/phys_base");
	ki->phys_base = (uint64_t)phys_base;
	if (vmcoreinfo_number(vi, "pgtable_l5_enabled", &l5))
		ki->as.levels = l5 ? 5 : 4;
	return x86_finish(ki, vm, m, err);
}

static int from_image_x86_64(struct kernel_info *ki, uint64_t text_pa,
			     const struct vmlinux *vm,
			     const struct guest_mem *m, char *err)
{
	uint64_t text, pgt, l5sym;
	if (!vmlinux_sym(vm, "_text", &text) ||
	    !vmlinux_sym(vm, "init_top_pgt", &pgt))
		return set_err(err, "vmlinux lacks _text/init_top_pgt");
	/* Offsets inside the image do not move: the page table root and the
	 * 5-level flag are found relative to _text's physical address. */
	struct kernel_as *as = &ki->as;
	as->mem = m;
	as->arch = &arch_x86_64;
	as->root_pa = text_pa + (pgt - text);
	uint32_t l5 = 0;
	if (vmlinux_sym(vm, "__pgtable_l5_enabled", &l5sym) &&
	    guest_mem_read(m, text_pa + (l5sym - text), &l5, 4) != 4)
		return set_err(err, "cannot read __pgtable_l5_enabled");
	as->levels = l5 ? 5 : 4;
	/* The virtual offset: which 2 MiB step of the KASLR window maps
	 * _text to text_pa in the kernel's own page tables. */
	uint64_t align = kernel_x86_64.image_align;
	for (uint64_t off = 0; text + off < START_KERNEL_MAP + KERNEL_IMAGE_SIZE;
	     off += align) {
		struct pt_walk w;
		if (kva_walk(as, text + off, &w) == PT_OK && w.pa == text_pa) {
			ki->kaslr_offset = off;
			ki->phys_base = text_pa - (text + off - START_KERNEL_MAP);
			snprintf(ki->paging_note, sizeof(ki->paging_note),
				 "KASLR offset: the step the page tables map "
				 "to _text's PA");
			return x86_finish(ki, vm, m, err);
		}
	}
	return set_err(err, "no KASLR offset maps _text to PA %#llx",
		       (unsigned long long)text_pa);
}

static int from_offsets_x86_64(struct kernel_info *ki,
			       const struct vmlinux *vm,
			       const struct guest_mem *m, char *err)
{
	ki->as.levels = 0;
	/* kernel_discover then checks the page tables map _text there: the
	 * image formula alone cannot tell KASLR offset + d, phys_base - d
	 * from the truth. */
	return x86_finish(ki, vm, m, err);
}

/* e820_table_firmware is what QEMU's firmware reported; its RAM above
 * 4 GiB tells how much of the file lies below 4 GiB. */
static int ram_below_4g_x86_64(const struct kernel_info *ki,
			       const struct vmlinux *vm, uint64_t *bytes,
			       char *err)
{
	uint64_t table;
	uint32_t nr;
	if (!kernel_read_sym(ki, vm, "e820_table_firmware", &table, 8) &&
	    !kernel_read_sym(ki, vm, "e820_table", &table, 8))
		return set_err(err, "cannot read e820_table");
	if (kva_read(&ki->as, table, &nr, 4) != 4 || nr > E820_MAX_ENTRIES)
		return set_err(err, "e820 table unreadable or too long");
	uint64_t high_end = FOUR_GIB;
	for (uint32_t i = 0; i < nr; i++) {
		struct __attribute__((packed)) {
			uint64_t addr, size;
			uint32_t type;
		} e;
		if (kva_read(&ki->as, table + 4 + 20ULL * i, &e, 20) != 20)
			return set_err(err, "e820 entry %u unreadable", i);
		if (e.type == E820_TYPE_RAM && e.addr >= FOUR_GIB &&
		    e.addr + e.size > high_end)
			high_end = e.addr + e.size;
	}
	uint64_t high = high_end - FOUR_GIB;
	if (high > ki->as.mem->ram_size)
		return set_err(err, "e820 has more RAM above 4 GiB than the "
			       "file holds");
	*bytes = ki->as.mem->ram_size - high;
	return 0;
}

/* __switch_to_asm pushes struct inactive_task_frame and saves the stack
 * pointer in thread.sp; it "returns" to ret_addr with rsp just above the
 * frame. */
static void frame_layout_x86_64(const struct btf_types *bt,
				struct frame_layout *fl)
{
	static const struct {
		const char *member, *reg;
	} map[] = {
		{ "r15", "r15" }, { "r14", "r14" }, { "r13", "r13" },
		{ "r12", "r12" }, { "bx", "rbx" },  { "bp", "rbp" },
		{ "ret_addr", "rip" },
	};
	memset(fl, 0, sizeof(*fl));
	fl->at = btf_field(bt, "task_struct", "thread.sp").offset;
	fl->size = btf_struct_size(bt, "inactive_task_frame");
	if (fl->at < 0 || fl->size <= 0) {
		fl->at = -1;
		snprintf(fl->missing, sizeof(fl->missing),
			 "thread.sp or inactive_task_frame");
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		long off = btf_field(bt, "inactive_task_frame",
				     map[i].member).offset;
		if (off < 0)
			continue;
		fl->r[fl->n].reg = map[i].reg;
		fl->r[fl->n++].offset = off;
	}
}

static int saved_regs_x86_64(const struct kernel_info *ki,
			     const struct frame_layout *fl, uint64_t task,
			     struct saved_regs *out, char *err)
{
	uint64_t frame;
	if (fl->at < 0)
		return set_err(err, "BTF lacks %s", fl->missing);
	if (kva_read(&ki->as, task + (uint64_t)fl->at, &frame, 8) != 8)
		return set_err(err, "thread.sp unreadable");
	out->n = 0;
	for (unsigned i = 0; i < fl->n && i < FRAME_MAX_REGS; i++) {
		uint64_t v;
		if (kva_read(&ki->as, frame + (uint64_t)fl->r[i].offset, &v,
			     8) != 8)
			continue;
		out->r[out->n].name = fl->r[i].reg;
		out->r[out->n++].value = v;
	}
	out->r[out->n].name = "rsp";
	out->r[out->n++].value = frame + (uint64_t)fl->size;
	return out->n > 1 ? 0 : set_err(err, "switch frame unreadable");
}

/* struct elf_prstatus: pr_reg (struct user_regs_struct) at 112. */
static int prstatus_regs_x86_64(const void *desc, size_t len,
				struct saved_regs *out)
{
	static const char *const names[] = {
		"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10",
		"r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi", NULL /* orig_rax */,
		"rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base",
		"ds", "es", "fs", "gs",
	};
	return prstatus_to_regs(desc, len, 112, names,
				sizeof(names) / sizeof(names[0]), out);
}

/* QEMU's QEMUCPUState (target/i386/arch_dump.c): version, size, 18 GPRs,
 * 10 segments of 24 bytes, cr[5], then kernel_gs_base when size allows. */
static int qemu_cpu_note_x86_64(const void *desc, size_t len,
				struct saved_regs *out)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "cr0", 392 }, { "cr2", 408 }, { "cr3", 416 },
		{ "cr4", 424 }, { "fs_base", 240 }, { "gs_base", 264 },
		{ "kernel_gs_base", 432 },
	};
	uint32_t size;
	if (len < 8)
		return -1;
	memcpy(&size, (const char *)desc + 4, 4);
	if (size > len)
		size = (uint32_t)len;
	out->n = 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].off + 8 > size)
			continue;
		out->r[out->n].name = f[i].name;
		memcpy(&out->r[out->n++].value, (const char *)desc + f[i].off,
		       8);
	}
	return out->n ? 0 : -1;
}

/* q35 and pc split RAM around the PCI hole differently once it is large;
 * below both thresholds the file is flat. */
static unsigned layouts_x86_64(uint64_t ram_size, enum layout_kind *out)
{
	if (layout_lowmem(LAYOUT_Q35, ram_size) == ram_size &&
	    layout_lowmem(LAYOUT_PC, ram_size) == ram_size) {
		out[0] = LAYOUT_FLAT;
		return 1;
	}
	out[0] = LAYOUT_Q35;
	out[1] = LAYOUT_PC;
	return 2;
}

const struct kernel_arch kernel_x86_64 = {
	.name = "x86_64",
	.elf_machine = EM_X86_64,
	.paging = &arch_x86_64,
	.image_align = 2ULL << 20, /* CONFIG_PHYSICAL_ALIGN */
	.phys_base_name = "phys_base",
	.from_vmcoreinfo = from_vmcoreinfo_x86_64,
	.from_image = from_image_x86_64,
	.from_offsets = from_offsets_x86_64,
	.frame_layout = frame_layout_x86_64,
	.saved_regs = saved_regs_x86_64,
	.prstatus_regs = prstatus_regs_x86_64,
	.qemu_cpu_note = qemu_cpu_note_x86_64,
	.layouts = layouts_x86_64,
	.ram_below_4g = ram_below_4g_x86_64,
};
