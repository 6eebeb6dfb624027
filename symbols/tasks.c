#include "symbols/tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kernel_list.h"

static long field(const struct btf_types *bt, const char *type,
		  const char *path, struct task_layout *l, bool needed)
{
	if (!needed)
		return btf_field(bt, type, path).offset;
	return btf_offset_noted(bt, type, path, l->missing,
				sizeof(l->missing));
}

void task_layout_init(struct task_layout *l, const struct btf_types *bt)
{
	memset(l, 0, sizeof(*l));
	l->tasks = field(bt, "task_struct", "tasks", l, true);
	l->pid = field(bt, "task_struct", "pid", l, true);
	l->tgid = field(bt, "task_struct", "tgid", l, true);
	l->comm = field(bt, "task_struct", "comm", l, true);
	/* Renamed in 5.14 (state -> __state). */
	struct btf_field st = btf_field(bt, "task_struct", "__state|state");
	l->state = st.offset;
	l->state_size = st.size;
	l->exit_state = field(bt, "task_struct", "exit_state", l, false);
	l->on_cpu = field(bt, "task_struct", "on_cpu", l, false);
	/* Moved from thread_info into task_struct in 5.16. */
	l->cpu = field(bt, "task_struct", "cpu", l, false);
	if (l->cpu < 0)
		l->cpu = field(bt, "task_struct", "thread_info.cpu", l, false);
	l->stack = field(bt, "task_struct", "stack", l, false);
	l->mm = field(bt, "task_struct", "mm", l, false);
	l->mm_pgd = field(bt, "mm_struct", "pgd", l, false);
	/* Threads of a group: signal->thread_head + thread_node (3.13+),
	 * or the older thread_group list (removed in 6.7). */
	l->signal = field(bt, "task_struct", "signal", l, false);
	l->thread_node = field(bt, "task_struct", "thread_node", l, false);
	l->signal_thread_head =
		field(bt, "signal_struct", "thread_head", l, false);
	l->thread_group = field(bt, "task_struct", "thread_group", l, false);
	l->rq_curr = field(bt, "rq", "curr", l, false);
	l->rq_nr_running = field(bt, "rq", "nr_running", l, false);
	if (l->state < 0)
		strncat(l->missing, l->missing[0] ? ", task_struct.__state"
						  : "task_struct.__state",
			sizeof(l->missing) - strlen(l->missing) - 1);
	l->usable = l->tasks >= 0 && l->pid >= 0 && l->tgid >= 0 &&
		    l->comm >= 0;
}

static bool rd(const struct task_reader *r, uint64_t va, void *buf,
	       size_t len)
{
	return kva_read(&r->ki->as, va, buf, len) == len;
}

static bool rd_ptr(const struct task_reader *r, uint64_t va, uint64_t *p)
{
	return klist_read_ptr(&r->ki->as, va, p);
}

bool task_read_one(const struct task_reader *r, uint64_t addr,
		   struct ktask *t)
{
	const struct task_layout *l = r->l;
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	t->cpu = -1;
	if (!rd(r, addr + (uint64_t)l->pid, &t->pid, 4) ||
	    !rd(r, addr + (uint64_t)l->tgid, &t->tgid, 4) ||
	    !rd(r, addr + (uint64_t)l->comm, t->comm, TASK_COMM_LEN))
		return false;
	t->comm[TASK_COMM_LEN] = '\0';
	if (l->state >= 0 && l->state_size >= 4)
		rd(r, addr + (uint64_t)l->state, &t->state, 4);
	if (l->exit_state >= 0)
		rd(r, addr + (uint64_t)l->exit_state, &t->exit_state, 4);
	int32_t v;
	if (l->on_cpu >= 0 && rd(r, addr + (uint64_t)l->on_cpu, &v, 4))
		t->on_cpu = v != 0;
	if (l->cpu >= 0 && rd(r, addr + (uint64_t)l->cpu, &v, 4))
		t->cpu = v;
	return true;
}

static bool push(struct task_list *list, const struct ktask *t)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 256;
		if (cap > TASKS_MAX)
			cap = TASKS_MAX;
		if (cap == list->cap)
			return false;
		struct ktask *v = realloc(list->v, cap * sizeof(*v));
		if (!v)
			return false;
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = *t;
	return true;
}

struct walk_state {
	const struct task_reader *r;
	struct task_list *list;
	size_t budget;
	const char *stop;
};

static bool add_thread(void *arg, uint64_t node)
{
	struct walk_state *w = arg;
	const struct task_reader *r = w->r;
	struct ktask t;
	if (!task_read_one(r, node - (uint64_t)r->l->thread_node, &t))
		return false;
	return push(w->list, &t);
}

static bool add_group(void *arg, uint64_t node)
{
	struct walk_state *w = arg;
	const struct task_reader *r = w->r;
	const struct task_layout *l = r->l;
	uint64_t leader = node - (uint64_t)l->tasks, sig;
	if (l->signal >= 0 && l->thread_node >= 0 &&
	    l->signal_thread_head >= 0 &&
	    rd_ptr(r, leader + (uint64_t)l->signal, &sig) && sig) {
		size_t before = w->list->n;
		const char *why = klist_walk(&r->ki->as, sig + (uint64_t)
					     l->signal_thread_head,
					     &w->budget, add_thread, w);
		if (why && !w->stop)
			w->stop = why;
		if (w->list->n > before || !why)
			return !why || w->budget > 0;
		if (!w->budget)
			return false;
		/* Not one thread read (a stale or garbage signal pointer):
		 * the leader alone rather than nothing. */
	}
	/* No thread list: the leader alone. */
	struct ktask t;
	if (!task_read_one(r, leader, &t))
		return false;
	return push(w->list, &t);
}

int tasks_read(const struct task_reader *r, struct task_list *list)
{
	list->n = 0;
	list->note[0] = '\0';
	if (!r->l->usable) {
		snprintf(list->note, sizeof(list->note),
			 "no task list: BTF lacks %.120s", r->l->missing);
		return -1;
	}
	uint64_t init_task;
	if (!vmlinux_sym(r->vm, "init_task", &init_task)) {
		snprintf(list->note, sizeof(list->note), "no init_task");
		return -1;
	}
	init_task += r->ki->kaslr_offset;
	struct walk_state w = { r, list, TASKS_MAX, NULL };
	const char *why = klist_walk(&r->ki->as, init_task + (uint64_t)
				     r->l->tasks, &w.budget, add_group, &w);
	if (why && w.stop) /* the inner walk knows better why it stopped */
		why = w.stop;
	if (why)
		snprintf(list->note, sizeof(list->note),
			 "task list walk stopped after %zu tasks: %s",
			 list->n, why);
	else if (w.stop)
		snprintf(list->note, sizeof(list->note),
			 "a thread list was cut short (%s); %zu tasks",
			 w.stop, list->n);
	return list->n || !why ? 0 : -1;
}

void task_list_free(struct task_list *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

char task_state_char(const struct ktask *t)
{
	/* TASK_RTLOCK_WAIT (5.15+) and TASK_FROZEN (6.1+) stand in for
	 * the state while set; the kernel reports them as D (over I). */
	if (t->state & (0x1000 | 0x8000))
		return 'D';
	/* TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
	if ((t->state & 0x402) == 0x402)
		return 'I';
	uint32_t s = (t->state | t->exit_state) & 0x7f; /* as the kernel does */
	static const char letters[] = "RSDTtXZP";
	if (!s)
		return 'R';
	unsigned bit = 31 - (unsigned)__builtin_clz(s);
	return bit + 1 < sizeof(letters) ? letters[bit + 1] : '?';
}

uint64_t percpu_addr(const struct kernel_info *ki, const struct vmlinux *vm,
		     const char *sym, unsigned cpu)
{
	uint64_t var, offs, off;
	if (!vmlinux_sym(vm, sym, &var) ||
	    !vmlinux_sym(vm, "__per_cpu_offset", &offs) || cpu >= 65536)
		return 0;
	if (kva_read(&ki->as, offs + ki->kaslr_offset + 8ULL * cpu, &off, 8) !=
	    8)
		return 0;
	/* x86_64 links per-cpu variables at offsets from 0; elsewhere they
	 * sit inside the image and move with it. */
	return var + (vm->percpu_zero_based ? 0 : ki->kaslr_offset) + off;
}

bool cpu_rq(const struct task_reader *r, unsigned cpu, uint64_t *curr,
	    uint32_t *nr_running)
{
	uint64_t rq = percpu_addr(r->ki, r->vm, "runqueues", cpu);
	if (!rq || r->l->rq_curr < 0 ||
	    !rd(r, rq + (uint64_t)r->l->rq_curr, curr, 8))
		return false;
	*nr_running = 0;
	if (r->l->rq_nr_running >= 0)
		rd(r, rq + (uint64_t)r->l->rq_nr_running, nr_running, 4);
	return true;
}
