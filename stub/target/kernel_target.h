/* The target lkstub serves: a guest kernel found in guest memory. It turns
 * gdb's requests (memory at kernel addresses, threads, monitor commands)
 * into translate/ and symbols/ calls. */
#ifndef LKSTUB_KERNEL_TARGET_H
#define LKSTUB_KERNEL_TARGET_H

#include <limits.h>

#include "stub/rsp/target.h"
#include "symbols/elf_sections.h"
#include "symbols/module_files.h"
#include "symbols/modules.h"
#include "stub/target/rescan_child.h"
#include "stub/target/rescan_limit.h"
#include "symbols/locate.h"
#include "symbols/tasks.h"
#include "common/err.h"

#define KT_MAX_CPUS 8192 /* the largest NR_CPUS a distribution kernel uses */
/* gdb thread ids: CPU n is n + 1; a task is TASK_TID_BASE + its pid, so
 * ids stay with their thread however the list changes, and read well in
 * decimal (Thread 1000042 is pid 42). */
#define TASK_TID_BASE 1000000u

/* Finds the kernel of vm in m: may rewrite m's regions and RAM window
 * (it is given a view, kept only on success) and fills ki and where. */
struct kernel_finder {
	int (*locate)(void *ctx, struct guest_mem *m, const struct vmlinux *vm,
		      struct kernel_info *ki, struct locate_result *where,
		      char *err);
	void *ctx;
};

/* A loaded module as offered to gdb: its section map and what gdb adds
 * to each section, or why it has none. */
struct ks_module {
	char name[MODULE_NAME_MAX];
	uint64_t addr;               /* its struct module: a reload differs */
	uint64_t text;               /* where its .text is */
	char file[PATH_MAX];         /* the object file ("" when none) */
	char map[PATH_MAX];          /* its section map ("" when none) */
	uint64_t *addrs;             /* in map order */
	unsigned n;
	char why[160];               /* why it has no symbols, if so */
	char note[96];               /* sections the guest list lacked */
};

/* What gdb is offered to load symbols from (kernel_symbols.c). */
struct kernel_symbols {
	bool ready;                  /* init succeeded: serve them */
	char dir[PATH_MAX];          /* CACHE/BUILD-ID */
	char exec_file[PATH_MAX];    /* the placeholder executable */
	char name[256];              /* the vmlinux's file name */
	uint32_t crc;                /* of the vmlinux, for its debuglink */
	uint64_t entry;              /* its e_entry */
	uint16_t type;               /* its e_type */
	struct elf_section *secs;    /* the vmlinux's sections */
	uint64_t *offsets;           /* what gdb adds to each */
	uint64_t *addrs;             /* the library list's, per allocated one */
	unsigned nr_addrs;
	char map[PATH_MAX];          /* the map, made for map_offset */
	uint64_t map_offset;
	unsigned nr_secs;
	struct strbuf libraries;     /* the library list document */
	/* Modules: where their files are, the guest's list, and what was
	 * made for each (kept across listings: a module's map is made
	 * once per load). */
	const char *const *module_dirs; /* --modules, or NULL: defaults */
	unsigned nr_module_dirs;
	struct module_files files;
	char files_release[65];      /* the kernel release indexed for */
	struct module_layout mod_layout;
	struct module_list mods;
	struct ks_module *offered;
	size_t nr_offered;
	uint64_t mods_hash;          /* of the last list served */
};

struct kernel_target {
	struct guest_mem *mem;
	const struct vmlinux *vm;
	struct kernel_info ki;
	struct locate_result where;
	const struct gdb_arch *gdb_arch;
	char listen[128];
	unsigned nr_cpus;
	uint16_t cpus[KT_MAX_CPUS]; /* online CPU numbers, ascending */
	char cpu_note[96];           /* why the CPU list is what it is */
	uint64_t cpu_curr[KT_MAX_CPUS]; /* rq->curr per listed CPU, or 0 */
	/* Registers of the i-th online CPU, when a dump recorded them
	 * (n == 0: not for this one). */
	struct saved_regs *cpu_regs;
	unsigned nr_cpu_regs;
	/* Control state of the i-th CPU from QEMU's dump notes (CR3, ...). */
	struct saved_regs *cpu_ctl;
	unsigned nr_cpu_ctl;
	/* A live QEMU's vCPUs over QMP (--qmp), or NULL. Their registers are
	 * read at most once per refresh: generation grows with each thread
	 * listing and each attach. */
	struct vcpu_live *vcpu;
	uint64_t generation;
	bool mmio;    /* --mmio: kernel addresses outside RAM read via QEMU */
	bool control; /* --control: interrupt stops the VM, continue resumes */
	unsigned mmio_refusals; /* device reads refused (said up to 8 times) */

	/* How to find the kernel (at start and again after a reboot): set by
	 * the caller, which knows what the memory is. */
	struct kernel_finder finder;
	struct rescan_limit rescan_limit; /* of rescans on attach */
	struct rescan_child rescan_child; /* one looking, if any */

	/* Tasks as threads (kernel_threads.c). */
	struct btf_types btf;
	struct task_layout layout;
	struct frame_layout frames;  /* switched-out tasks' saved registers */
	char tasks_note[ERR_LEN];    /* why tasks are missing, if they are */
	struct task_list tasks;      /* snapshot of the last listing */
	uint32_t *by_pid;            /* indices into tasks, sorted by pid */
	size_t by_pid_cap;
	bool listed;                 /* a snapshot has been taken */

	/* Symbols for gdb (kernel_symbols.c). */
	struct kernel_symbols sym;
};

/* Open the BTF and resolve the type layouts (tasks degrade without). */
void kernel_target_init_tasks(struct kernel_target *kt);
struct task_reader kernel_target_reader(const struct kernel_target *kt);
unsigned kt_thread_ids(void *t, uint32_t *ids, unsigned max);
bool kt_thread_alive(void *t, uint32_t tid);
void kt_thread_name(void *t, uint32_t tid, char *buf, size_t len);
void kt_thread_extra(void *t, uint32_t tid, char *buf, size_t len);
void kt_read_regs(void *t, uint32_t tid, struct target_regs *regs);
/* Index in kt->cpus of the CPU thread tid, or -1. */
int kt_cpu_index(struct kernel_target *kt, uint32_t tid);
/* The task thread tid of the last listing, or NULL. */
const struct ktask *kt_task_by_tid(struct kernel_target *kt, uint32_t tid);
/* Kernel addresses (and, with --mmio, device registers behind them). */
size_t kt_read_mem(void *t, uint64_t addr, void *buf, size_t len);
/* Memory as thread tid sees it: user addresses through its process's
 * page tables (user_memory.c). */
size_t kt_read_mem_as(void *t, uint32_t tid, uint64_t addr, void *buf,
		      size_t len);

/* Symbols for gdb: the cache directory (NULL: the default), the files in
 * it, then the library list and the placeholder executable as target
 * operations. */
#define KT_LIBRARIES_MAX (4u << 20)
int kernel_symbols_init(struct kernel_target *kt, const char *cache,
			const char *const *module_dirs, unsigned nr_module_dirs,
			char *err);
/* `monitor symbols`: what gdb is offered, from where, and why not. */
void kernel_symbols_report(struct kernel_target *kt, struct strbuf *out);
const struct strbuf *kernel_symbols_libraries(void *t, bool refresh);
const char *kernel_symbols_exec_file(void *t);
/* Has the module list changed since the library list was last built? */
bool kernel_symbols_changed(void *t);
void kernel_symbols_free(struct kernel_target *kt);

extern const struct target_ops kernel_target_ops;

/* Read the online CPUs from the guest (done at start and on attach). */
void kernel_target_refresh_cpus(struct kernel_target *kt);
/* The start-up summary, also `monitor info`. */
void kernel_target_summary(const struct kernel_target *kt, struct strbuf *out);
/* The gdb command that loads the symbols at their runtime addresses. */
void kernel_target_gdb_command(const struct kernel_target *kt,
			       struct strbuf *out);
/* Find the kernel with kt->finder, all or nothing: the regions, RAM
 * window, kernel info and layout change together, and only on success. */
int kernel_target_locate(struct kernel_target *kt, char *err);
/* A find becomes the target's: the view's regions (view gets the old
 * ones, for the caller to close), the kernel info, the layout. */
void kernel_target_take(struct kernel_target *kt, struct guest_mem *view,
			const struct kernel_info *ki,
			const struct locate_result *where);
/* After the kernel was found again: a new listing, the CPUs read again,
 * and a word on stderr if it moved. */
void kernel_target_found_again(struct kernel_target *kt, uint64_t old_offset);
/* Find the kernel again; says what changed on stderr. On failure kt
 * serves what it had. */
int kernel_target_rescan(struct kernel_target *kt, char *err);
/* `monitor CMD` */
int kernel_target_monitor(void *t, const char *cmd, struct strbuf *out);

#endif
