#include "stub/target/kernel_target.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "stub/target/vcpu_live.h"

#define SUMMARY_REGIONS 16 /* regions the summary lists one by one */

static const struct gdb_arch *kt_arch(void *t)
{
	return ((struct kernel_target *)t)->gdb_arch;
}

/* Device registers (ioremap): a kernel address whose page maps a
 * guest-physical address outside RAM. With --mmio the bytes up to the end
 * of that page are read through QEMU; returns how many, 0 when refused. */
static size_t device_read(struct kernel_target *kt, uint64_t va, void *buf,
			  size_t len)
{
	struct kva_xlat x;
	uint8_t probe;
	if (kva_translate(&kt->ki.as, va, &x, NULL) != PT_OK ||
	    guest_mem_read(kt->mem, x.pa, &probe, 1) == 1)
		return 0; /* unmapped, or RAM that failed otherwise */
	size_t n = len < x.span ? len : (size_t)x.span;
	size_t page = 4096 - (size_t)(x.pa & 4095);
	n = n < page ? n : page;
	char err[ERR_LEN];
	if (!kt->mmio || !kt->vcpu) {
		if (kt->mmio_refusals++ < 8)
			fprintf(stderr, "lkstub: %#llx maps guest-physical "
				"%#llx, outside RAM (device registers): not "
				"read; --qmp with --mmio reads them through "
				"QEMU\n", (unsigned long long)va,
				(unsigned long long)x.pa);
		return 0;
	}
	if (vcpu_live_phys_read(kt->vcpu, x.pa, buf, n, err)) {
		fprintf(stderr, "lkstub: --mmio read of %#llx: %s\n",
			(unsigned long long)x.pa, err);
		return 0;
	}
	return n;
}

size_t kt_read_mem(void *t, uint64_t addr, void *buf, size_t len)
{
	struct kernel_target *kt = t;
	size_t got = kva_read(&kt->ki.as, addr, buf, len);
	while (got < len) {
		size_t n = device_read(kt, addr + got, (uint8_t *)buf + got,
				       len - got);
		if (!n)
			break;
		got += n;
		if (got < len)
			got += kva_read(&kt->ki.as, addr + got,
					(uint8_t *)buf + got, len - got);
	}
	return got;
}

static int kt_write_mem(void *t, uint64_t addr, const void *buf, size_t len,
			char *err)
{
	struct kernel_target *kt = t;
	return kva_write(&kt->ki.as, addr, buf, len, err);
}

void kernel_target_refresh_cpus(struct kernel_target *kt)
{
	uint32_t nr_ids = 0;
	uint64_t mask_va;
	kt->nr_cpus = 0;
	if (!kernel_read_sym(&kt->ki, kt->vm, "nr_cpu_ids", &nr_ids, 4) ||
	    !vmlinux_sym(kt->vm, "__cpu_online_mask", &mask_va) ||
	    nr_ids == 0 || nr_ids > KT_MAX_CPUS) {
		snprintf(kt->cpu_note, sizeof(kt->cpu_note),
			 "online CPUs unreadable (nr_cpu_ids %u): one thread",
			 nr_ids);
		kt->cpus[kt->nr_cpus++] = 0;
		return;
	}
	uint64_t bits[KT_MAX_CPUS / 64];
	size_t bytes = ((nr_ids + 63) / 64) * 8;
	if (kva_read(&kt->ki.as, mask_va + kt->ki.kaslr_offset, bits, bytes) !=
	    bytes) {
		snprintf(kt->cpu_note, sizeof(kt->cpu_note),
			 "__cpu_online_mask unreadable: one thread");
		kt->cpus[kt->nr_cpus++] = 0;
		return;
	}
	for (uint32_t c = 0; c < nr_ids; c++)
		if (bits[c / 64] >> (c % 64) & 1)
			kt->cpus[kt->nr_cpus++] = (uint16_t)c;
	if (!kt->nr_cpus) {
		snprintf(kt->cpu_note, sizeof(kt->cpu_note),
			 "no CPU online yet: one thread");
		kt->cpus[kt->nr_cpus++] = 0;
		return;
	}
	snprintf(kt->cpu_note, sizeof(kt->cpu_note), "%u online of %u",
		 kt->nr_cpus, nr_ids);
}

int kernel_target_locate(struct kernel_target *kt, char *err)
{
	if (!kt->finder.locate)
		return set_err(err, "no way to find the kernel was given");
	struct guest_mem view;
	struct kernel_info ki;
	struct locate_result where;
	if (guest_mem_view(&view, kt->mem, err))
		return -1;
	memset(&ki, 0, sizeof(ki));
	memset(&where, 0, sizeof(where));
	if (kt->finder.locate(kt->finder.ctx, &view, kt->vm, &ki, &where,
			      err)) {
		guest_mem_close_view(&view);
		return -1;
	}
	kernel_target_take(kt, &view, &ki, &where);
	guest_mem_close_view(&view); /* now the old regions */
	return 0;
}

void kernel_target_take(struct kernel_target *kt, struct guest_mem *view,
			const struct kernel_info *ki,
			const struct locate_result *where)
{
	guest_mem_swap_view(kt->mem, view);
	kt->ki = *ki;
	kt->ki.as.mem = kt->mem; /* found through the view */
	kt->where = *where;
}

void kernel_target_found_again(struct kernel_target *kt, uint64_t old_offset)
{
	kt->listed = false;
	kernel_target_refresh_cpus(kt);
	if (kt->ki.kaslr_offset != old_offset)
		fprintf(stderr, "lkstub: the kernel moved: KASLR offset %#llx "
			"(was %#llx)%s\n",
			(unsigned long long)kt->ki.kaslr_offset,
			(unsigned long long)old_offset,
			kt->sym.ready ? "; gdb loads its symbols again at its "
					"next stop or with `sharedlibrary`"
				      : "; reload the symbols in gdb");
}

int kernel_target_rescan(struct kernel_target *kt, char *err)
{
	uint64_t old = kt->ki.kaslr_offset;
	if (kernel_target_locate(kt, err))
		return -1; /* kt is as it was: keep serving it */
	kernel_target_found_again(kt, old);
	return 0;
}

/* A new client may come after the guest rebooted: check cheaply, find
 * the kernel again only when it is no longer where it was. */
static void kt_on_attach(void *t)
{
	struct kernel_target *kt = t;
	const char *fail = guest_mem_failure(kt->mem);
	if (fail) { /* the VM is gone: nothing to look for */
		fprintf(stderr, "lkstub: %s: every read fails\n", fail);
		return;
	}
	if (kernel_still_there(&kt->ki, kt->vm))
		rescan_limit_settled(&kt->rescan_limit);
	else
		rescan_on_attach(kt); /* rescan_child.c */
	kernel_target_refresh_cpus(kt);
	kt->generation++;
}

static int kt_busy_fd(void *t)
{
	return rescan_child_fd(t);
}

static void kt_busy_done(void *t)
{
	rescan_child_finish(t);
}

/* --control: gdb's continue and interrupt run and stop the VM. */
static int kt_vm_resume(void *t, bool detaching)
{
	struct kernel_target *kt = t;
	char err[ERR_LEN];
	if (!kt->control || !kt->vcpu)
		return -1;
	if (!detaching)
		kt->vcpu->stopped_by_us = true; /* continue: resume it anyway */
	if (vcpu_live_cont(kt->vcpu, err)) {
		fprintf(stderr, "lkstub: resuming the VM: %s\n", err);
		return -1;
	}
	return 0;
}

static int kt_vm_stop(void *t)
{
	struct kernel_target *kt = t;
	char err[ERR_LEN];
	if (!kt->control || !kt->vcpu)
		return -1;
	if (vcpu_live_stop(kt->vcpu, err)) {
		fprintf(stderr, "lkstub: stopping the VM: %s\n", err);
		return -1;
	}
	kt->generation++; /* what the CPUs do now */
	return 0;
}

const struct target_ops kernel_target_ops = {
	.arch = kt_arch,
	.read_mem = kt_read_mem,
	.read_mem_as = kt_read_mem_as,
	.write_mem = kt_write_mem,
	.thread_ids = kt_thread_ids,
	.thread_alive = kt_thread_alive,
	.thread_name = kt_thread_name,
	.thread_extra = kt_thread_extra,
	.read_regs = kt_read_regs,
	.monitor = kernel_target_monitor,
	.libraries = kernel_symbols_libraries,
	.exec_file = kernel_symbols_exec_file,
	.libraries_changed = kernel_symbols_changed,
	.on_attach = kt_on_attach,
	.busy_fd = kt_busy_fd,
	.busy_done = kt_busy_done,
	.vm_resume = kt_vm_resume,
	.vm_stop = kt_vm_stop,
};

void kernel_target_summary(const struct kernel_target *kt, struct strbuf *out)
{
	const struct kernel_info *ki = &kt->ki;
	const struct kernel_as *as = &ki->as;
	strbuf_printf(out, "lkstub %s: Linux %s (%s)\n", LKSTUB_VERSION, ki->release,
		      ki->arch->name);
	strbuf_printf(out, "  vmlinux       %s\n", kt->vm->path);
	strbuf_printf(out, "  build-id      %s\n",
		      kt->vm->build_id_len ? kt->vm->build_id_hex : "(none)");
	strbuf_printf(out, "  found by      %s\n", ki->method);
	strbuf_printf(out, "  kaslr offset  %#llx\n",
		      (unsigned long long)ki->kaslr_offset);
	strbuf_printf(out, "  %-13s %#llx\n",
		      ki->arch->phys_base_name,
		      (unsigned long long)ki->phys_base);
	strbuf_printf(out, "  page_offset   %#llx\n",
		      (unsigned long long)as->page_offset);
	strbuf_printf(out, "  paging        %s %u-level, root PA %#llx\n",
		      as->arch->name, as->levels,
		      (unsigned long long)as->root_pa);
	if (ki->paging_note[0])
		strbuf_printf(out, "                %s\n", ki->paging_note);
	strbuf_printf(out, "  image         %#llx-%#llx at PA %#llx\n",
		      (unsigned long long)as->image_start,
		      (unsigned long long)as->image_end,
		      (unsigned long long)(as->image_start -
					   as->image_pa_delta));
	strbuf_printf(out, "  layout        %s\n", kt->where.layout_why);
	/* A filtered dump has thousands: the first ones and a count. */
	unsigned shown = kt->mem->nr_regions <= SUMMARY_REGIONS
				 ? kt->mem->nr_regions
				 : SUMMARY_REGIONS - 1;
	for (unsigned i = 0; i < shown; i++) {
		const struct guest_region *r = &kt->mem->regions[i];
		strbuf_printf(out, "    GPA %#llx-%#llx: %s @ %#llx\n",
			      (unsigned long long)r->gpa,
			      (unsigned long long)(r->gpa + r->size),
			      kt->mem->ops->name,
			      (unsigned long long)r->offset);
	}
	if (shown < kt->mem->nr_regions)
		strbuf_printf(out, "    ... %u more, %u regions in all, up to "
			      "GPA %#llx\n", kt->mem->nr_regions - shown,
			      kt->mem->nr_regions,
			      (unsigned long long)guest_mem_end(kt->mem));
	strbuf_printf(out, "  memory        %s\n",
		      kt->mem->writable ? "read-write (--write)" : "read-only");
	strbuf_printf(out, "  cpus          %s%s\n", kt->cpu_note,
		      kt->nr_cpu_regs ? "; registers from the dump" : "");
	for (unsigned i = 0; i < kt->nr_cpu_ctl && i < kt->nr_cpus; i++) {
		if (!kt->cpu_ctl[i].n)
			continue;
		strbuf_printf(out, "    CPU#%u", kt->cpus[i]);
		for (unsigned j = 0; j < kt->cpu_ctl[i].n; j++)
			strbuf_printf(out, " %s %#llx", kt->cpu_ctl[i].r[j].name,
				      (unsigned long long)
					      kt->cpu_ctl[i].r[j].value);
		strbuf_putc(out, '\n');
	}
	if (kt->vcpu)
		vcpu_live_info(kt->vcpu, out);
	strbuf_printf(out, "  threads       %s\n",
		      kt->tasks_note[0] ? kt->tasks_note
					: "CPUs, then every task (BTF layouts)");
	if (kt->listen[0])
		strbuf_printf(out, "  listening     %s\n", kt->listen);
	const char *fail = guest_mem_failure(kt->mem);
	if (fail)
		strbuf_printf(out, "  FAILED        %s\n", fail);
}

void kernel_target_gdb_command(const struct kernel_target *kt,
			       struct strbuf *out)
{
	/* -o moves every section; zero-based per-cpu symbols must stay. */
	strbuf_printf(out, "add-symbol-file %s -o %#llx%s", kt->vm->path,
		      (unsigned long long)kt->ki.kaslr_offset,
		      kt->vm->percpu_zero_based ? " -s .data..percpu 0" : "");
}
