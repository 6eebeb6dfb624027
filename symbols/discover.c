/* Finding the running kernel: first a vmcoreinfo page that belongs to this
 * vmlinux, else the kernel image itself by its linux_banner bytes. Every
 * candidate is checked against the live image before it is believed:
 * stale copies of both from an earlier boot can sit in RAM. */
#include <stdio.h>
#include <string.h>

#include "symbols/kernel.h"
#include "common/err.h"

#define PAGE 4096ULL
/* The note copy: 12-byte header + "VMCOREINFO\0" padded to 12. */
#define NOTE_TEXT_OFFSET 24

int prstatus_to_regs(const void *desc, size_t len, size_t regs_off,
		     const char *const *names, size_t nr_names,
		     struct saved_regs *out)
{
	if (len < regs_off + 8 * nr_names ||
	    nr_names > sizeof(out->r) / sizeof(out->r[0]))
		return -1;
	out->n = 0;
	for (size_t i = 0; i < nr_names; i++) {
		if (!names[i])
			continue;
		uint64_t v;
		memcpy(&v, (const char *)desc + regs_off + 8 * i, 8);
		out->r[out->n].name = names[i];
		out->r[out->n++].value = v;
	}
	return 0;
}

const struct kernel_arch *kernel_arch_for(uint16_t elf_machine)
{
	static const struct kernel_arch *const arches[] = { &kernel_x86_64,
							    &kernel_aarch64 };
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i]->elf_machine == elf_machine)
			return arches[i];
	return NULL;
}

bool kernel_read_sym(const struct kernel_info *ki, const struct vmlinux *vm,
		     const char *name, void *buf, size_t len)
{
	uint64_t addr;
	if (!vmlinux_sym(vm, name, &addr))
		return false;
	return kva_read(&ki->as, addr + ki->kaslr_offset, buf, len) == len;
}

/* The banner bytes of the vmlinux (without the trailing NUL). */
static size_t vmlinux_banner(const struct vmlinux *vm, char *buf, size_t cap)
{
	uint64_t va;
	if (!vmlinux_sym(vm, "linux_banner", &va))
		return 0;
	size_t n = vmlinux_read(vm, va, buf, cap - 1);
	buf[n] = '\0';
	return strnlen(buf, n);
}

/* Is the image described by ki really in RAM? Its banner must be at the
 * translated address of linux_banner. */
static bool image_is_live(const struct kernel_info *ki,
			  const struct vmlinux *vm)
{
	char want[512], got[512];
	size_t n = vmlinux_banner(vm, want, sizeof(want));
	if (!n || !kernel_read_sym(ki, vm, "linux_banner", got, n))
		return false;
	return !memcmp(want, got, n);
}

/* Does the live kernel's own pointer lead to the copy at pa? Rules out a
 * stale copy from an earlier boot of the same build. */
static bool vmcoreinfo_is_current(const struct kernel_info *ki,
				  const struct vmlinux *vm, uint64_t pa)
{
	static const char *const ptrs[] = { "vmcoreinfo_data",
					    "vmcoreinfo_note" };
	bool any = false;
	for (size_t i = 0; i < 2; i++) {
		uint64_t p, va;
		if (!vmlinux_sym(vm, ptrs[i], &va))
			continue;
		any = true;
		struct kva_xlat x;
		if (kernel_read_sym(ki, vm, ptrs[i], &p, 8) &&
		    kva_translate(&ki->as, p, &x, NULL) == PT_OK &&
		    (x.pa == pa || x.pa + NOTE_TEXT_OFFSET == pa))
			return true;
	}
	return !any;
}

static void release_from_banner(struct kernel_info *ki,
				const struct vmlinux *vm)
{
	char b[512];
	vmlinux_banner(vm, b, sizeof(b));
	const char *p = strncmp(b, "Linux version ", 14) ? "" : b + 14;
	size_t n = strcspn(p, " ");
	if (n >= sizeof(ki->release))
		n = sizeof(ki->release) - 1;
	memcpy(ki->release, p, n);
	ki->release[n] = '\0';
}

struct scan_state {
	char seen_build_id[2 * BUILD_ID_MAX + 1]; /* a foreign build-id */
	unsigned copies, stale;
};

/* Check one vmcoreinfo text: from guest RAM at pa, or (pa UINT64_MAX) the
 * note of a dump, which has no copy in RAM to point at. */
static int try_vmcoreinfo_text(struct kernel_info *ki,
			       const struct guest_mem *m,
			       const struct vmlinux *vm, const void *buf,
			       size_t n, uint64_t pa, struct scan_state *st,
			       char *err)
{
	static struct vmcoreinfo vi; /* 16 KiB: keep it off the stack */
	if (vmcoreinfo_parse(&vi, buf, n))
		return -1;
	st->copies++;
	const char *bid = vmcoreinfo_get(&vi, "BUILD-ID");
	if (bid && vm->build_id_len && strcmp(bid, vm->build_id_hex)) {
		snprintf(st->seen_build_id, sizeof(st->seen_build_id), "%s",
			 bid);
		return -1;
	}
	uint64_t stext, koff, link_stext;
	if (!vmcoreinfo_symbol(&vi, "_stext", &stext) ||
	    !vmcoreinfo_hex(&vi, "KERNELOFFSET", &koff) ||
	    !vmlinux_sym(vm, "_stext", &link_stext) ||
	    stext - koff != link_stext)
		return -1;
	memset(ki, 0, sizeof(*ki));
	ki->arch = kernel_arch_for(vm->machine);
	if (ki->arch->from_vmcoreinfo(ki, &vi, vm, m, err)) {
		/* Its offsets do not even reach this kernel's variables. */
		st->stale++;
		return -1;
	}
	if (!image_is_live(ki, vm) ||
	    (pa != UINT64_MAX && !vmcoreinfo_is_current(ki, vm, pa))) {
		st->stale++;
		return -1;
	}
	const char *rel = vmcoreinfo_get(&vi, "OSRELEASE");
	snprintf(ki->release, sizeof(ki->release), "%s", rel ? rel : "?");
	if (pa == UINT64_MAX)
		snprintf(ki->method, sizeof(ki->method),
			 "the dump's VMCOREINFO note (build-id matches)");
	else
		snprintf(ki->method, sizeof(ki->method),
			 "vmcoreinfo at PA %#llx (build-id matches)",
			 (unsigned long long)pa);
	ki->vmcoreinfo_pa = pa;
	return 0;
}

static int try_vmcoreinfo(struct kernel_info *ki, const struct guest_mem *m,
			  const struct vmlinux *vm, uint64_t pa,
			  struct scan_state *st, char *err)
{
	char buf[VMCOREINFO_MAX_BYTES];
	size_t n = guest_mem_read(m, pa, buf, sizeof(buf));
	return try_vmcoreinfo_text(ki, m, vm, buf, n, pa, st, err);
}

static int scan_vmcoreinfo(struct kernel_info *ki, const struct guest_mem *m,
			   const struct vmlinux *vm, struct scan_state *st,
			   char *err)
{
	for (unsigned r = 0; r < m->nr_regions; r++) {
		const struct guest_region *g = &m->regions[r];
		uint64_t pa = g->gpa, data_end = 0;
		for (; pa - g->gpa < g->size; pa += PAGE) {
			char head[NOTE_TEXT_OFFSET + 10];
			if (pa >= data_end) {
				/* Never-written pages hold no vmcoreinfo. */
				pa = guest_mem_next_data(m, pa, &data_end);
				if (pa == UINT64_MAX)
					break;
			}
			pa = (pa + PAGE - 1) & ~(PAGE - 1);
			/* A dump may leave single pages out: skip them. */
			if (guest_mem_read(m, pa, head, sizeof(head)) !=
			    sizeof(head))
				continue;
			if (!memcmp(head, "OSRELEASE=", 10) &&
			    !try_vmcoreinfo(ki, m, vm, pa, st, err))
				return 0;
			if (!memcmp(head + 12, "VMCOREINFO", 10) &&
			    !memcmp(head + NOTE_TEXT_OFFSET, "OSRELEASE=", 10) &&
			    !try_vmcoreinfo(ki, m, vm, pa + NOTE_TEXT_OFFSET,
					    st, err))
				return 0;
		}
	}
	return -1;
}

static int scan_banner(struct kernel_info *ki, const struct guest_mem *m,
		       const struct vmlinux *vm, char *err)
{
	const struct kernel_arch *arch = kernel_arch_for(vm->machine);
	char want[512], got[512];
	size_t n = vmlinux_banner(vm, want, sizeof(want));
	uint64_t banner, text;
	if (!n || !vmlinux_sym(vm, "linux_banner", &banner) ||
	    !vmlinux_sym(vm, "_text", &text) || banner < text)
		return set_err(err, "the vmlinux has no linux_banner/_text");
	uint64_t delta = banner - text, align = arch->image_align;
	for (unsigned r = 0; r < m->nr_regions; r++) {
		const struct guest_region *g = &m->regions[r];
		uint64_t start = (g->gpa + align - 1) & ~(align - 1);
		/* The data run [data, data_end) found last: asking again for
		 * each candidate would walk the same run every time. */
		uint64_t data = 0, data_end = 0;
		for (uint64_t pa = start; pa - g->gpa < g->size; pa += align) {
			if (pa + delta >= data_end) {
				data = guest_mem_next_data(m, pa + delta,
							   &data_end);
				if (data == UINT64_MAX)
					break; /* nothing more was written */
			}
			if (pa + delta < data ||
			    guest_mem_read(m, pa + delta, got, n) != n ||
			    memcmp(got, want, n))
				continue;
			memset(ki, 0, sizeof(*ki));
			ki->arch = arch;
			char why[ERR_LEN];
			if (arch->from_image(ki, pa, vm, m, why) ||
			    !image_is_live(ki, vm))
				continue;
			release_from_banner(ki, vm);
			snprintf(ki->method, sizeof(ki->method),
				 "linux_banner: image at PA %#llx",
				 (unsigned long long)pa);
			ki->vmcoreinfo_pa = UINT64_MAX;
			return 0;
		}
	}
	return set_err(err, "no linux_banner of this vmlinux in guest RAM");
}

/* The kernel's own tables must map the image where the formula says;
 * from then on every address is translated by walking them. _stext, not
 * _text: arm64 leaves the image's head unmapped. */
static int check_tables(struct kernel_info *ki, const struct vmlinux *vm,
			char *err)
{
	struct pt_walk w;
	struct kernel_as *as = &ki->as;
	uint64_t va;
	if (!vmlinux_sym(vm, "_stext", &va) && !vmlinux_sym(vm, "_text", &va))
		return set_err(err, "the vmlinux has no _stext/_text");
	va += ki->kaslr_offset;
	if (kva_walk(as, va, &w) != PT_OK || w.pa != va - as->image_pa_delta)
		return set_err(err, "the kernel image is not where it should "
			       "be: its page tables (root PA %#llx) do not map "
			       "_stext at %#llx to PA %#llx",
			       (unsigned long long)as->root_pa,
			       (unsigned long long)va,
			       (unsigned long long)(va - as->image_pa_delta));
	as->tables_checked = true;
	return 0;
}

static int discover(struct kernel_info *ki, const struct guest_mem *m,
		    const struct vmlinux *vm, const struct discover_opts *o,
		    char *err);

int kernel_discover(struct kernel_info *ki, const struct guest_mem *m,
		    const struct vmlinux *vm, const struct discover_opts *o,
		    char *err)
{
	if (discover(ki, m, vm, o, err))
		return -1;
	return check_tables(ki, vm, err);
}

static int discover(struct kernel_info *ki, const struct guest_mem *m,
		    const struct vmlinux *vm, const struct discover_opts *o,
		    char *err)
{
	const struct kernel_arch *arch = kernel_arch_for(vm->machine);
	if (!arch)
		return set_err(err, "%s: ELF machine %u is not supported",
			       vm->path, vm->machine);
	if (o->have_kaslr_offset && o->have_phys_base) {
		memset(ki, 0, sizeof(*ki));
		ki->arch = arch;
		ki->kaslr_offset = o->kaslr_offset;
		ki->phys_base = o->phys_base;
		if (arch->from_offsets(ki, vm, m, err))
			return -1;
		if (!image_is_live(ki, vm))
			return set_err(err, "with KASLR offset %#llx and "
				       "phys_base %#llx the kernel image is "
				       "not where it should be",
				       (unsigned long long)o->kaslr_offset,
				       (unsigned long long)o->phys_base);
		release_from_banner(ki, vm);
		snprintf(ki->method, sizeof(ki->method), "given offsets");
		ki->vmcoreinfo_pa = UINT64_MAX;
		return 0;
	}

	struct scan_state st = { 0 };
	char why[ERR_LEN] = "";
	int found = -1;
	if (o->how != DISCOVER_BANNER && o->vmcoreinfo_note)
		found = try_vmcoreinfo_text(ki, m, vm, o->vmcoreinfo_note,
					    o->vmcoreinfo_note_len, UINT64_MAX,
					    &st, why);
	if (found && o->how != DISCOVER_BANNER)
		found = scan_vmcoreinfo(ki, m, vm, &st, why);
	if (found && o->how != DISCOVER_VMCOREINFO)
		found = scan_banner(ki, m, vm, why);
	if (found) {
		if (st.seen_build_id[0])
			return set_err(err, "the guest runs another kernel: "
				       "its build-id is %s, the vmlinux's is "
				       "%s", st.seen_build_id,
				       vm->build_id_hex);
		return set_err(err, "kernel not found in guest RAM (%u "
			       "vmcoreinfo copies, %u stale; %s): the guest "
			       "may still be booting (try --wait)", st.copies,
			       st.stale, why);
	}
	/* Single overrides replace what was found, then recompute. */
	if (o->have_kaslr_offset || o->have_phys_base) {
		if (o->have_kaslr_offset)
			ki->kaslr_offset = o->kaslr_offset;
		if (o->have_phys_base)
			ki->phys_base = o->phys_base;
		if (arch->from_offsets(ki, vm, m, err))
			return -1;
		strncat(ki->method, ", offset overridden",
			sizeof(ki->method) - strlen(ki->method) - 1);
	}
	return 0;
}

bool kernel_still_there(const struct kernel_info *ki, const struct vmlinux *vm)
{
	if (!image_is_live(ki, vm))
		return false;
	if (ki->vmcoreinfo_pa == UINT64_MAX)
		return true;
	/* A reboot leaves the old image in RAM if the new kernel lands
	 * elsewhere; the new kernel's vmcoreinfo pointer moves with it. */
	return vmcoreinfo_is_current(ki, vm, ki->vmcoreinfo_pa);
}
