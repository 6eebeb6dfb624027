/* Threads of the kernel target: the online CPUs first (gdb thread N is
 * CPU N-1, which the kernel's own gdb scripts rely on), then every task.
 * The list is read afresh each time gdb lists threads: the guest is live. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub/rsp/rsp_threads.h"
#include "stub/target/gdb_arch.h"
#include "stub/target/vcpu_live.h"
#include "stub/target/kernel_target.h"

/* A listing holds every CPU and every task the walk may return: nothing
 * is cut, and the protocol's document cap is computed from this. */
_Static_assert(KT_MAX_CPUS + TASKS_MAX == RSP_MAX_THREADS,
	       "RSP_MAX_THREADS must be the CPUs plus the task walk's bound");

void kernel_target_init_tasks(struct kernel_target *kt)
{
	char err[ERR_LEN];
	bool have_btf = btf_types_open(&kt->btf, kt->vm->path, err) == 0;
	/* Without BTF every layout resolves to "absent". */
	task_layout_init(&kt->layout, &kt->btf);
	kt->frames.at = -1;
	if (kt->ki.arch->frame_layout)
		kt->ki.arch->frame_layout(&kt->btf, &kt->frames);
	if (!have_btf)
		snprintf(kt->tasks_note, sizeof(kt->tasks_note),
			 "tasks not shown: %.200s", err);
	else if (!kt->layout.usable)
		snprintf(kt->tasks_note, sizeof(kt->tasks_note),
			 "tasks not shown: BTF lacks %.200s",
			 kt->layout.missing);
}

struct task_reader kernel_target_reader(const struct kernel_target *kt)
{
	return (struct task_reader){ &kt->ki, kt->vm, &kt->layout };
}

static int cmp_pid(const void *a, const void *b, void *list)
{
	const struct ktask *v = ((const struct task_list *)list)->v;
	int32_t x = v[*(const uint32_t *)a].pid;
	int32_t y = v[*(const uint32_t *)b].pid;
	return (x > y) - (x < y);
}

static void snapshot(struct kernel_target *kt)
{
	kernel_target_refresh_cpus(kt);
	struct task_reader r = kernel_target_reader(kt);
	for (unsigned i = 0; i < kt->nr_cpus; i++) {
		uint32_t nr;
		if (!cpu_rq(&r, kt->cpus[i], &kt->cpu_curr[i], &nr))
			kt->cpu_curr[i] = 0;
	}
	kt->tasks.n = 0;
	if (kt->layout.usable && tasks_read(&r, &kt->tasks) == 0 &&
	    kt->tasks.note[0])
		fprintf(stderr, "lkstub: %s\n", kt->tasks.note);
	if (kt->tasks.n > kt->by_pid_cap) {
		uint32_t *p = realloc(kt->by_pid, kt->tasks.n * sizeof(*p));
		if (!p) {
			kt->tasks.n = 0;
		} else {
			kt->by_pid = p;
			kt->by_pid_cap = kt->tasks.n;
		}
	}
	for (size_t i = 0; i < kt->tasks.n; i++)
		kt->by_pid[i] = (uint32_t)i;
	qsort_r(kt->by_pid, kt->tasks.n, sizeof(*kt->by_pid), cmp_pid,
		&kt->tasks);
	kt->listed = true;
}

const struct ktask *kt_task_by_tid(struct kernel_target *kt, uint32_t tid)
{
	if (tid < TASK_TID_BASE)
		return NULL;
	if (!kt->listed)
		snapshot(kt);
	int64_t pid = (int64_t)tid - TASK_TID_BASE;
	size_t lo = 0, hi = kt->tasks.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ktask *t = &kt->tasks.v[kt->by_pid[mid]];
		if (t->pid == pid)
			return t;
		if (t->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Did a dump record the registers of the CPU at index c of kt->cpus? */
static bool kt_cpu_has_regs(const struct kernel_target *kt, int c)
{
	return c >= 0 && (unsigned)c < kt->nr_cpu_regs && kt->cpu_regs[c].n;
}

int kt_cpu_index(struct kernel_target *kt, uint32_t tid)
{
	if (tid == 0 || tid > KT_MAX_CPUS)
		return -1;
	if (!kt->listed)
		snapshot(kt);
	for (unsigned i = 0; i < kt->nr_cpus; i++)
		if (kt->cpus[i] + 1u == tid)
			return (int)i;
	return -1;
}

unsigned kt_thread_ids(void *t, uint32_t *ids, unsigned max)
{
	struct kernel_target *kt = t;
	if (max == 1 && kt->listed) { /* "which is the first?" */
		ids[0] = kt->cpus[0] + 1u;
		return 1;
	}
	snapshot(kt);
	kt->generation++; /* gdb looks afresh: so do the vCPU registers */
	unsigned n = 0;
	for (unsigned i = 0; i < kt->nr_cpus && n < max; i++)
		ids[n++] = kt->cpus[i] + 1u;
	/* In pid order, each pid once: a corrupted list that loops can
	 * repeat tasks before the walk notices. */
	int32_t last = 0;
	for (size_t i = 0; i < kt->tasks.n && n < max; i++) {
		int32_t pid = kt->tasks.v[kt->by_pid[i]].pid;
		if (pid > last && (uint64_t)pid < UINT32_MAX - TASK_TID_BASE)
			ids[n++] = TASK_TID_BASE + (uint32_t)pid;
		if (pid > last)
			last = pid;
	}
	return n;
}

bool kt_thread_alive(void *t, uint32_t tid)
{
	struct kernel_target *kt = t;
	return kt_cpu_index(kt, tid) >= 0 || kt_task_by_tid(kt, tid) != NULL;
}

static void comm_of(struct kernel_target *kt, uint64_t task, char *buf,
		    size_t len)
{
	struct task_reader r = kernel_target_reader(kt);
	struct ktask k;
	if (task && kt->layout.usable && task_read_one(&r, task, &k))
		snprintf(buf, len, "%s", k.comm);
	else
		snprintf(buf, len, "?");
}

void kt_thread_name(void *t, uint32_t tid, char *buf, size_t len)
{
	struct kernel_target *kt = t;
	int c = kt_cpu_index(kt, tid);
	if (c >= 0) {
		char comm[TASK_COMM_LEN + 1];
		comm_of(kt, kt->cpu_curr[c], comm, sizeof(comm));
		snprintf(buf, len, "CPU#%u %s", kt->cpus[c], comm);
		return;
	}
	const struct ktask *k = kt_task_by_tid(kt, tid);
	snprintf(buf, len, "%s", k ? k->comm : "?");
}

void kt_thread_extra(void *t, uint32_t tid, char *buf, size_t len)
{
	struct kernel_target *kt = t;
	int c = kt_cpu_index(kt, tid);
	if (c >= 0) {
		snprintf(buf, len, "CPU#%u [%s]", kt->cpus[c],
			 kt_cpu_has_regs(kt, c) ? "registers from the dump"
			 : kt->vcpu ? "registers from QEMU (QMP)"
				    : "live guest RAM: registers unknown");
		return;
	}
	const struct ktask *k = kt_task_by_tid(kt, tid);
	if (!k) {
		snprintf(buf, len, "gone");
		return;
	}
	const char *running = "";
	if (k->on_cpu) {
		int kc = k->cpu >= 0 ? kt_cpu_index(kt, (uint32_t)k->cpu + 1) : -1;
		running = kt_cpu_has_regs(kt, kc)
				  ? ", running: registers from the dump"
				  : kt->vcpu ? ", running: its CPU's registers "
					       "(QMP)"
					     : ", running: registers unknown on "
					       "a live guest";
	}
	snprintf(buf, len, "pid %d, tgid %d, state %c, cpu %d%s", k->pid,
		 k->tgid, task_state_char(k), k->cpu, running);
}

static void set_regs(const struct gdb_arch *a, struct target_regs *regs,
		     const struct saved_regs *saved)
{
	/* Little-endian targets: the low bytes of the value. */
	for (unsigned i = 0; i < saved->n; i++) {
		unsigned regnum, off, bytes;
		if (!gdb_arch_reg_slot(a, saved->r[i].name, &regnum, &off,
				       &bytes) &&
		    bytes <= 8)
			gdb_arch_set_reg(a, regs, saved->r[i].name,
					 &saved->r[i].value, bytes);
	}
}

/* The registers of the CPU at index c of kt->cpus from QEMU over QMP,
 * into regs (for_task: for a task running there); false when unknown. */
static bool live_cpu_regs(struct kernel_target *kt, int c, bool for_task,
			  struct target_regs *regs)
{
	if (!kt->vcpu || c < 0)
		return false;
	const struct vcpu_state *st = vcpu_live_get(kt->vcpu, kt->cpus[c],
						    kt->generation, for_task);
	if (!st)
		return false;
	const struct gdb_arch *a = kt->gdb_arch;
	unsigned off = 0;
	for (unsigned i = 0; i < a->nr_regs && i < TARGET_MAX_REGS; i++) {
		unsigned bytes = a->regs[i].bits / 8;
		if (off + bytes > TARGET_MAX_REG_BYTES)
			break;
		if (st->regs.valid[i]) {
			memcpy(regs->bytes + off, st->regs.bytes + off, bytes);
			regs->valid[i] = true;
		}
		off += bytes;
	}
	return true;
}

static void set_reg_u64(const struct gdb_arch *a, struct target_regs *regs,
			const char *name, uint64_t value)
{
	gdb_arch_set_reg(a, regs, name, &value, sizeof(value));
}

/* A live guest's vCPU registers are not in its RAM: a running task or a
 * CPU gets them from QEMU over QMP (--qmp) or a dump's notes, else only
 * a PC of 0 (gdb needs one to have a frame). A task that is switched out
 * gets the registers its context-switch frame saved. Every thread gets the
 * architecture's current-task register (arm64's SP_EL0, as the kernel
 * keeps it in EL1): its task's address, a CPU's runqueue's current task. */
void kt_read_regs(void *t, uint32_t tid, struct target_regs *regs)
{
	struct kernel_target *kt = t;
	const struct gdb_arch *a = kt->gdb_arch;
	memset(regs->bytes, 0, sizeof(regs->bytes));
	if (kt->ki.arch->fixed_regs) {
		struct saved_regs fixed;
		kt->ki.arch->fixed_regs(&kt->ki, &fixed);
		set_regs(a, regs, &fixed);
	}
	const struct ktask *k = kt_task_by_tid(kt, tid);
	struct task_reader r = kernel_target_reader(kt);
	struct ktask now;
	struct saved_regs saved;
	char err[ERR_LEN];
	int c = kt_cpu_index(kt, tid);
	const char *cur = kt->ki.arch->current_reg;
	uint64_t curr;
	uint32_t nr;
	if (cur && c >= 0 && cpu_rq(&r, kt->cpus[c], &curr, &nr) && curr)
		set_reg_u64(a, regs, cur, curr);
	/* The snapshot may be old: the task must still be there. */
	if (k && task_read_one(&r, k->addr, &now) && now.pid == k->pid) {
		if (cur)
			set_reg_u64(a, regs, cur, k->addr);
		if (!now.on_cpu && kt->ki.arch->saved_regs &&
		    !kt->ki.arch->saved_regs(&kt->ki, &kt->frames, k->addr,
					     &saved, err)) {
			set_regs(a, regs, &saved);
			return;
		}
		/* Running: its registers are its CPU's, if a dump has them. */
		c = now.on_cpu && now.cpu >= 0 ? kt_cpu_index(kt, (uint32_t)now.cpu + 1)
					       : -1;
	}
	if (kt_cpu_has_regs(kt, c)) {
		set_regs(a, regs, &kt->cpu_regs[c]);
		return;
	}
	if (live_cpu_regs(kt, c, k != NULL, regs))
		return;
	if (a->pc_regnum < a->nr_regs)
		regs->valid[a->pc_regnum] = true;
}
