/* Finding the running kernel in guest RAM with its vmlinux, and what is
 * then known of it. The architecture-specific steps sit behind
 * struct kernel_arch; discover.c holds the generic search. */
#ifndef LKSTUB_KERNEL_H
#define LKSTUB_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "symbols/btf_types.h"
#include "symbols/vmcoreinfo.h"
#include "symbols/vmlinux.h"
#include "translate/guest_mem.h"
#include "translate/layout.h"
#include "translate/paging.h"

enum discover_how { DISCOVER_AUTO, DISCOVER_VMCOREINFO, DISCOVER_BANNER };

struct discover_opts {
	enum discover_how how;
	bool have_kaslr_offset, have_phys_base;
	uint64_t kaslr_offset;
	uint64_t phys_base;
	/* A dump's VMCOREINFO note, tried before scanning RAM. */
	const void *vmcoreinfo_note;
	size_t vmcoreinfo_note_len;
};

struct kernel_arch;

#define KERNEL_MAX_LAYOUTS 4

/* Registers a task saved when it was switched out, by gdb register name
 * (the names of the target description). */
struct saved_regs {
	unsigned n;
	struct {
		const char *name;
		uint64_t value;
	} r[40];
};

/* Where the context-switch frame of a switched-out task keeps each
 * register, resolved from BTF once (kernel_arch.frame_layout): reading a
 * task's registers then costs no type lookup. */
#define FRAME_MAX_REGS 16
struct frame_layout {
	long at;      /* task_struct offset of the frame (arm64
		       * thread.cpu_context) or of the pointer to it (x86_64
		       * thread.sp); -1: no frame to read */
	long size;    /* bytes of the frame (x86_64: rsp is just above it) */
	unsigned n;
	struct {
		const char *reg; /* gdb register name */
		long offset;     /* in the frame */
	} r[FRAME_MAX_REGS];
	char missing[96]; /* what BTF lacks when at is -1 */
};

struct kernel_info {
	const struct kernel_arch *arch;
	char release[65];
	char method[96];          /* how the kernel was found, for the user */
	uint64_t vmcoreinfo_pa;   /* UINT64_MAX when not used */
	uint64_t kaslr_offset;    /* runtime VA - link VA of the image */
	uint64_t phys_base;       /* x86_64: phys_base; aarch64: PHYS_OFFSET */
	char paging_note[160];    /* how the walk's parameters were found */
	struct kernel_as as;
};

struct kernel_arch {
	const char *name;
	uint16_t elf_machine;
	const struct arch_ops *paging;
	uint64_t image_align; /* physical alignment of the kernel image */
	const char *phys_base_name; /* what kernel_info.phys_base is */
	/* From a vmcoreinfo whose build-id and _stext already matched. */
	int (*from_vmcoreinfo)(struct kernel_info *ki,
			       const struct vmcoreinfo *vi,
			       const struct vmlinux *vm,
			       const struct guest_mem *m, char *err);
	/* From the physical address of _text, found by the banner. */
	int (*from_image)(struct kernel_info *ki, uint64_t text_pa,
			  const struct vmlinux *vm, const struct guest_mem *m,
			  char *err);
	/* From a KASLR offset and phys_base the user gave. */
	int (*from_offsets)(struct kernel_info *ki, const struct vmlinux *vm,
			    const struct guest_mem *m, char *err);
	/* Registers with one value for the whole kernel (arm64's pointer
	 * authentication masks), given with every thread's; may be NULL. */
	void (*fixed_regs)(const struct kernel_info *ki,
			   struct saved_regs *out);
	/* The register that holds the current task's address in the
	 * kernel (arm64: SP_EL0), given each thread as its task's (a CPU's:
	 * its runqueue's current task); NULL where there is none. */
	const char *current_reg;
	/* The layout of the context-switch frame, from BTF (done once). */
	void (*frame_layout)(const struct btf_types *bt,
			     struct frame_layout *fl);
	/* The context-switch frame of a task that is not running. */
	int (*saved_regs)(const struct kernel_info *ki,
			  const struct frame_layout *fl, uint64_t task,
			  struct saved_regs *out, char *err);
	/* Control registers from QEMU's own CPU-state note of a dump
	 * ("QEMU" notes of dump-guest-memory), by name; NULL if none. */
	int (*qemu_cpu_note)(const void *desc, size_t len,
			     struct saved_regs *out);
	/* A CPU's registers from an NT_PRSTATUS note of a dump. */
	int (*prstatus_regs)(const void *desc, size_t len,
			     struct saved_regs *out);
	/* The machine layouts a RAM file of ram_size bytes can have (at
	 * most KERNEL_MAX_LAYOUTS, in the order to try them). */
	unsigned (*layouts)(uint64_t ram_size, enum layout_kind *out);
	/* RAM below 4 GiB according to the kernel's memory map, to tell
	 * QEMU machine layouts apart; NULL where it does not apply. */
	int (*ram_below_4g)(const struct kernel_info *ki,
			    const struct vmlinux *vm, uint64_t *bytes,
			    char *err);
};

extern const struct kernel_arch kernel_x86_64;
extern const struct kernel_arch kernel_aarch64;

const struct kernel_arch *kernel_arch_for(uint16_t elf_machine);

/* Find the kernel of vm in m. On failure err says what was seen. */
int kernel_discover(struct kernel_info *ki, const struct guest_mem *m,
		    const struct vmlinux *vm, const struct discover_opts *o,
		    char *err);

/* Is the kernel ki describes still the one running (cheap: no scan)?
 * False after a reboot into another KASLR offset or another kernel. */
bool kernel_still_there(const struct kernel_info *ki, const struct vmlinux *vm);

/* Registers from an elf_prstatus: names[i] (NULL to skip) is the u64 at
 * regs_off + 8 * i. */
int prstatus_to_regs(const void *desc, size_t len, size_t regs_off,
		     const char *const *names, size_t nr_names,
		     struct saved_regs *out);

/* The page size (log2) an arm64 vmlinux was built for, from the spacing
 * of its top-level page tables; 12 when it cannot be told. */
unsigned aarch64_vmlinux_page_shift(const struct vmlinux *vm);

/* Read a variable of the kernel image by link-time symbol name. */
bool kernel_read_sym(const struct kernel_info *ki, const struct vmlinux *vm,
		     const char *name, void *buf, size_t len);

#endif
