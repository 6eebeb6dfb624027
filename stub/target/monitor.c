/* `monitor` commands of the kernel target: a table of name, help, handler. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub/target/kernel_target.h"

#define VERSION_TEXT "lkstub " LKSTUB_VERSION " (live guest kernel RAM)"

typedef int (*monitor_fn)(struct kernel_target *kt, const char *arg,
			  struct strbuf *out);

struct monitor_cmd {
	const char *name;
	const char *args;
	const char *help;
	monitor_fn fn;
};

static int mon_help(struct kernel_target *kt, const char *arg,
		    struct strbuf *out);

static int mon_info(struct kernel_target *kt, const char *arg,
		    struct strbuf *out)
{
	(void)arg;
	kernel_target_summary(kt, out);
	strbuf_printf(out, "gdb command: ");
	kernel_target_gdb_command(kt, out);
	strbuf_putc(out, '\n');
	return 0;
}

/* The kernel's gdb scripts take a non-empty answer as "the stub knows the
 * current CPU is the thread number - 1". */
static int mon_info_version(struct kernel_target *kt, const char *arg,
			    struct strbuf *out)
{
	(void)kt;
	(void)arg;
	strbuf_printf(out, "%s\n", VERSION_TEXT);
	return 0;
}

static int mon_kaslr(struct kernel_target *kt, const char *arg,
		     struct strbuf *out)
{
	(void)arg;
	strbuf_printf(out, "KASLR offset %#llx, %s %#llx, page_offset "
		      "%#llx\n", (unsigned long long)kt->ki.kaslr_offset,
		      kt->ki.arch->phys_base_name,
		      (unsigned long long)kt->ki.phys_base,
		      (unsigned long long)kt->ki.as.page_offset);
	return 0;
}

static const char *pt_result_text(enum pt_result r)
{
	switch (r) {
	case PT_OK: return "mapped";
	case PT_NOT_CANONICAL: return "not a canonical address";
	case PT_NOT_PRESENT: return "not present";
	case PT_BAD_ENTRY: return "bad entry (reserved bits, or table outside guest RAM)";
	}
	return "?";
}

static void show_walk(const struct kernel_target *kt, uint64_t va,
		      struct strbuf *out)
{
	struct pt_walk w;
	enum pt_result r = kva_walk(&kt->ki.as, va, &w);
	strbuf_printf(out, "  page-table walk from root PA %#llx (%u-level):\n",
		      (unsigned long long)kt->ki.as.root_pa,
		      kt->ki.as.levels);
	for (unsigned i = 0; i < w.nr; i++) {
		const struct pt_step *s = &w.step[i];
		strbuf_printf(out, "    %-9s table %#llx [%3u] entry at %#llx",
			      kt->ki.as.arch->level_name(&kt->ki.as, s->level),
			      (unsigned long long)s->table_pa, s->index,
			      (unsigned long long)s->entry_pa);
		if (s->read_ok)
			strbuf_printf(out, " = %#018llx\n",
				      (unsigned long long)s->entry);
		else
			strbuf_printf(out, " (not guest RAM)\n");
	}
	if (r == PT_OK)
		strbuf_printf(out, "    => PA %#llx (%llu KiB page)\n",
			      (unsigned long long)w.pa,
			      (unsigned long long)(w.page_size >> 10));
	else
		strbuf_printf(out, "    => %s\n", pt_result_text(r));
}

static int parse_addr(const struct kernel_target *kt, const char *arg,
		      uint64_t *va, struct strbuf *out)
{
	while (isspace((unsigned char)*arg))
		arg++;
	if (!*arg) {
		strbuf_printf(out, "usage: monitor translate ADDR|SYMBOL\n");
		return -1;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	while (isspace((unsigned char)*end))
		end++;
	if (!errno && end != arg && !*end && *arg != '-') {
		*va = v;
		return 0;
	}
	uint64_t link;
	char name[128];
	size_t n = strcspn(arg, " \t");
	if (n < sizeof(name)) {
		memcpy(name, arg, n);
		name[n] = '\0';
		if (vmlinux_sym(kt->vm, name, &link)) {
			*va = link + kt->ki.kaslr_offset;
			return 0;
		}
	}
	strbuf_printf(out, "translate: '%s' is neither a number nor a "
		      "symbol of the vmlinux\n", arg);
	return -1;
}

static int mon_translate(struct kernel_target *kt, const char *arg,
			 struct strbuf *out)
{
	uint64_t va;
	if (parse_addr(kt, arg, &va, out))
		return -1;
	struct kva_xlat x;
	struct pt_walk w;
	enum pt_result r = kva_translate(&kt->ki.as, va, &x, &w);
	strbuf_printf(out, "VA %#llx", (unsigned long long)va);
	const struct sym *s =
		symtab_by_addr(&kt->vm->syms, va - kt->ki.kaslr_offset);
	if (r == PT_OK && x.how == KVA_IMAGE && s)
		strbuf_printf(out, " (%s+%#llx)", s->name,
			      (unsigned long long)(va - kt->ki.kaslr_offset -
						   s->addr));
	strbuf_putc(out, '\n');
	if (r == PT_OK && x.how == KVA_IMAGE)
		strbuf_printf(out, "  kernel image: PA %#llx\n",
			      (unsigned long long)x.pa);
	if (kva_is_direct(&kt->ki.as, va))
		strbuf_printf(out, "  direct map: formula PA %#llx\n",
			      (unsigned long long)(va - kt->ki.as.page_offset +
						   kt->ki.as.direct_pa_base));
	show_walk(kt, va, out);
	if (r == PT_OK) {
		const struct guest_region *g = guest_mem_find(kt->mem, x.pa);
		if (g)
			strbuf_printf(out, "  PA %#llx is %s @ %#llx\n",
				      (unsigned long long)x.pa,
				      kt->mem->ops->name,
				      (unsigned long long)(g->offset + x.pa -
							   g->gpa));
		else
			strbuf_printf(out, "  PA %#llx is not guest RAM\n",
				      (unsigned long long)x.pa);
	}
	return 0;
}

static int mon_ps(struct kernel_target *kt, const char *arg,
		  struct strbuf *out)
{
	(void)arg;
	struct task_reader r = kernel_target_reader(kt);
	struct task_list list = { 0 };
	if (!kt->layout.usable) {
		strbuf_printf(out, "ps: %s\n", kt->tasks_note);
		return -1;
	}
	int rc = tasks_read(&r, &list);
	strbuf_printf(out, "%7s %7s %2s %4s %-16s %s\n", "PID", "TGID", "ST",
		      "CPU", "COMM", "TASK");
	for (size_t i = 0; i < list.n && !out->overflow; i++) {
		const struct ktask *t = &list.v[i];
		strbuf_printf(out, "%7d %7d  %c %4d %-16s %#llx%s\n", t->pid,
			      t->tgid, task_state_char(t), t->cpu, t->comm,
			      (unsigned long long)t->addr,
			      t->on_cpu ? " (running)" : "");
	}
	if (list.note[0])
		strbuf_printf(out, "%s\n", list.note);
	task_list_free(&list);
	return rc;
}

static int mon_rq(struct kernel_target *kt, const char *arg,
		  struct strbuf *out)
{
	(void)arg;
	struct task_reader r = kernel_target_reader(kt);
	kernel_target_refresh_cpus(kt);
	strbuf_printf(out, "%4s %10s %7s %-16s %s\n", "CPU", "NR_RUNNING",
		      "PID", "CURR", "TASK");
	for (unsigned i = 0; i < kt->nr_cpus; i++) {
		uint64_t curr;
		uint32_t nr;
		struct ktask t;
		if (!cpu_rq(&r, kt->cpus[i], &curr, &nr)) {
			strbuf_printf(out, "%4u runqueue unreadable\n",
				      kt->cpus[i]);
			continue;
		}
		if (task_read_one(&r, curr, &t))
			strbuf_printf(out, "%4u %10u %7d %-16s %#llx\n",
				      kt->cpus[i], nr, t.pid, t.comm,
				      (unsigned long long)curr);
		else
			strbuf_printf(out, "%4u %10u %7s %-16s %#llx\n",
				      kt->cpus[i], nr, "?", "?",
				      (unsigned long long)curr);
	}
	/* sched_ext (6.12+) keeps its state in scx_enable_state_var. */
	uint32_t scx;
	if (kernel_read_sym(&kt->ki, kt->vm, "scx_enable_state_var", &scx, 4))
		strbuf_printf(out, "sched_ext: enable state %u (0 enabling, "
			      "1 enabled, 2 disabling, 3 disabled)\n", scx);
	else
		strbuf_printf(out, "sched_ext: not in this kernel\n");
	return 0;
}

static int mon_rescan(struct kernel_target *kt, const char *arg,
		      struct strbuf *out)
{
	(void)arg;
	char err[ERR_LEN];
	if (kernel_target_rescan(kt, err)) {
		strbuf_printf(out, "rescan failed: %s\n", err);
		return -1;
	}
	strbuf_printf(out, "found: %s\nKASLR offset %#llx\n", kt->ki.method,
		      (unsigned long long)kt->ki.kaslr_offset);
	if (kt->sym.ready) {
		kernel_symbols_libraries(kt, true);
		strbuf_printf(out, "%zu modules; `sharedlibrary` loads the "
			      "symbols of what changed now (gdb also does at "
			      "its next stop)\n", kt->sym.mods.n);
	} else {
		strbuf_printf(out, "load the symbols with:\n");
		kernel_target_gdb_command(kt, out);
		strbuf_putc(out, '\n');
	}
	return 0;
}

static int mon_symbols(struct kernel_target *kt, const char *arg,
		       struct strbuf *out)
{
	(void)arg;
	kernel_symbols_report(kt, out);
	return 0;
}

static const struct monitor_cmd monitor_cmds[] = {
	{ "help", "", "this list", mon_help },
	{ "info version", "", "lkstub's version", mon_info_version },
	{ "info", "", "what lkstub found: kernel, offsets, layout, CPUs",
	  mon_info },
	{ "kaslr", "", "the KASLR offset, phys_base and page_offset",
	  mon_kaslr },
	{ "ps", "", "every task: pid, tgid, state, cpu, comm", mon_ps },
	{ "rescan", "", "find the kernel again (after a guest reboot)",
	  mon_rescan },
	{ "rq", "", "per-CPU runqueue: nr_running, current task; sched_ext",
	  mon_rq },
	{ "symbols", "", "what gdb is offered to load symbols from: the "
	  "vmlinux, each module's file or why it has none", mon_symbols },
	{ "translate", " ADDR|SYMBOL",
	  "how a kernel address maps to guest RAM, step by step", mon_translate },
};

#define NR_MONITOR_CMDS (sizeof(monitor_cmds) / sizeof(monitor_cmds[0]))

static int mon_help(struct kernel_target *kt, const char *arg,
		    struct strbuf *out)
{
	(void)kt;
	(void)arg;
	strbuf_printf(out, "lkstub monitor commands:\n");
	for (size_t i = 0; i < NR_MONITOR_CMDS; i++) {
		char usage[64];
		snprintf(usage, sizeof(usage), "%s%s", monitor_cmds[i].name,
			 monitor_cmds[i].args);
		strbuf_printf(out, "  monitor %-24s %s\n", usage,
			      monitor_cmds[i].help);
	}
	return 0;
}

/* The longest command name that is a whole-word prefix of cmd. */
int kernel_target_monitor(void *t, const char *cmd, struct strbuf *out)
{
	while (isspace((unsigned char)*cmd))
		cmd++;
	if (!*cmd)
		cmd = "help";
	const struct monitor_cmd *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < NR_MONITOR_CMDS; i++) {
		size_t n = strlen(monitor_cmds[i].name);
		if (!strncmp(cmd, monitor_cmds[i].name, n) &&
		    (cmd[n] == '\0' || isspace((unsigned char)cmd[n])) &&
		    n > best_len) {
			best = &monitor_cmds[i];
			best_len = n;
		}
	}
	if (!best) {
		strbuf_printf(out, "unknown monitor command '%s'; try "
			      "'monitor help'\n", cmd);
		return -1;
	}
	return best->fn(t, cmd + best_len, out);
}
