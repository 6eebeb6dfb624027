/* MEMORY, the command line's guest memory: which source it is, how its
 * regions are found, and what a dump adds (its vmcoreinfo note, CPU
 * registers). */
#include "stub/cli/memory_arg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "translate/vmm_qmp.h"

static int add_regions(struct guest_mem *m, const struct options *o,
		       char *err)
{
	uint64_t next = 0;
	for (unsigned i = 0; i < o->nr_regions; i++) {
		const struct guest_region *r = &o->regions[i];
		uint64_t off = r->offset == LAYOUT_OFFSET_NEXT ? next
							       : r->offset;
		if (guest_mem_add_region(m, r->gpa, r->size, off, err))
			return -1;
		next = off + r->size;
	}
	return 0;
}

int memory_arg_pid(const char *memory)
{
	if (strncmp(memory, "pid:", 4))
		return 0;
	char *end;
	errno = 0;
	long pid = strtol(memory + 4, &end, 10);
	if (errno || end == memory + 4 || *end || pid <= 0 ||
	    pid > 0x3fffffff) /* PID_MAX_LIMIT */
		return -1;
	return (int)pid;
}

/* CPU registers a dump recorded, for the CPU threads: each online CPU
 * gets the notes that are its own (elfcore_notes.h), so one bad note
 * costs its CPU alone. */
void memory_arg_cpu_regs(const struct memory_arg *ma, struct kernel_target *kt)
{
	const struct elfcore_notes *notes = &ma->notes;
	const struct kernel_arch *a = kt->ki.arch;
	unsigned nr = notes->nr_cpus ? kt->nr_cpus : 0;
	struct saved_regs *regs = nr ? calloc(nr, sizeof(*regs)) : NULL;
	struct saved_regs *ctl = nr ? calloc(nr, sizeof(*ctl)) : NULL;
	if (!regs || !ctl) {
		free(regs);
		free(ctl);
		return;
	}
	unsigned have = 0, have_ctl = 0;
	for (unsigned i = 0; i < nr; i++) {
		const struct elfcore_cpu *c =
			elfcore_cpu_notes(notes, kt->cpus[i], i);
		if (c && a->prstatus_regs &&
		    !a->prstatus_regs(c->prstatus.desc, c->prstatus.len,
				      &regs[i]))
			have = i + 1;
		else if (c)
			fprintf(stderr, "lkstub: CPU#%u: its NT_PRSTATUS note "
				"(%zu bytes) holds no %s registers: they are "
				"unknown\n", kt->cpus[i], c->prstatus.len,
				a->name);
		else
			fprintf(stderr, "lkstub: CPU#%u: no NT_PRSTATUS note in "
				"the dump: its registers are unknown\n",
				kt->cpus[i]);
		if (c && c->qemu.len && a->qemu_cpu_note &&
		    !a->qemu_cpu_note(c->qemu.desc, c->qemu.len, &ctl[i]))
			have_ctl = i + 1;
	}
	kt->cpu_regs = regs;
	kt->nr_cpu_regs = have;
	kt->cpu_ctl = ctl;
	kt->nr_cpu_ctl = have_ctl;
}

/* MEMORY: pid:PID, an ELF dump, a compressed kdump, or raw RAM. */
int memory_arg_open(struct memory_arg *ma, struct guest_mem *m,
		    const struct options *o, char *err)
{
	memset(ma, 0, sizeof(*ma));
	ma->o = o;
	ma->layout = o->layout;
	ma->discover = o->discover;
	ma->pid = memory_arg_pid(o->memory);
	if (ma->pid < 0)
		return set_err(err, "%s: expected pid:PID", o->memory);
	if (ma->pid) {
		if (guest_mem_open_process(m, ma->pid, o->write, err))
			return -1;
		if (o->qmp) {
			if (qmp_add_ram_regions(m, o->qmp, err) < 0)
				return -1;
			ma->layout = LAYOUT_EXPLICIT;
			return 0;
		}
	} else if ((elfcore_is_core(o->memory) ||
		    kdump_is_compressed(o->memory)) && o->qmp) {
		return set_err(err, "%s: a dump has no live QEMU behind it "
			       "(drop --qmp)", o->memory);
	} else if (elfcore_is_core(o->memory)) {
		if (o->write)
			return set_err(err, "%s: an ELF dump is read-only "
				       "(drop --write)", o->memory);
		if (o->nr_regions)
			return set_err(err, "%s: an ELF dump says where its "
				       "memory is (drop --region)", o->memory);
		if (guest_mem_open_elfcore(m, o->memory, &ma->notes, err))
			return -1;
		ma->is_dump = true;
		ma->discover.vmcoreinfo_note = ma->notes.vmcoreinfo.desc;
		ma->discover.vmcoreinfo_note_len = ma->notes.vmcoreinfo.len;
		ma->layout = LAYOUT_EXPLICIT;
		return 0;
	} else if (kdump_is_compressed(o->memory)) {
		if (o->write || o->nr_regions)
			return set_err(err, "%s: a kdump file is read-only and "
				       "says where its memory is (drop --write "
				       "and --region)", o->memory);
		if (guest_mem_open_kdump(m, o->memory, &ma->kdump, err))
			return -1;
		ma->is_dump = true;
		ma->discover.vmcoreinfo_note = ma->kdump.vmcoreinfo;
		ma->discover.vmcoreinfo_note_len =
			ma->kdump.vmcoreinfo ? strlen(ma->kdump.vmcoreinfo) : 0;
		ma->layout = LAYOUT_EXPLICIT;
		return 0;
	} else if (guest_mem_open_file(m, o->memory, o->write, err)) {
		return -1;
	}
	return ma->layout == LAYOUT_EXPLICIT ? add_regions(m, o, err) : 0;
}

int memory_arg_locate(void *ctx, struct guest_mem *m,
		      const struct vmlinux *vm, struct kernel_info *ki,
		      struct locate_result *where, char *err)
{
	const struct memory_arg *ma = ctx;
	if (ma->pid && ma->layout != LAYOUT_EXPLICIT)
		return kernel_locate_process(m, ma->pid, vm, ma->layout,
					     &ma->discover, ki, where, err);
	if (kernel_locate(m, vm, ma->layout, &ma->discover, ki, where, err))
		return -1;
	if (ma->o->qmp && ma->pid)
		snprintf(where->layout_why, sizeof(where->layout_why),
			 "RAM ranges and host addresses from QEMU over QMP "
			 "(%.80s)", ma->o->qmp);
	else if (ma->is_dump)
		snprintf(where->layout_why, sizeof(where->layout_why),
			 "the dump's own map (%u CPU register notes%s)",
			 ma->notes.nr_prstatus,
			 ma->notes.vmcoreinfo.desc ? ", VMCOREINFO note" : "");
	return 0;
}

