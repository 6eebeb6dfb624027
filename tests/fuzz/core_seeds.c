/* Writes the synthetic seeds of fuzz_elfcore (ELF dumps built with
 * tests/unit/synth_core.h, the unit tests' builder) into DIR.
 * make_seeds.py compiles and runs it:
 *
 *   core_seeds DIR */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/synth_core.h"

static const char *dir;

static void put(const char *name, const struct sc_core *d, size_t cut)
{
	size_t size;
	uint8_t *img = sc_build(d, &size);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(img, 1, cut && cut < size ? cut : size, f) == 0 ||
	    fclose(f)) {
		perror(path);
		exit(1);
	}
	free(img);
}

static const char vmci[] =
	"OSRELEASE=6.1.0-57-cloud-amd64\nBUILD-ID=4b1b0a5c1e0e6d2f9e8f\n"
	"PAGESIZE=4096\nSYMBOL(init_uts_ns)=ffffffff82a12340\n"
	"KERNELOFFSET=2e400000\nNUMBER(phys_base)=-2e400000\n";

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: core_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	static uint8_t prs[4][SC_PRSTATUS_X86_64], qemu[4][SC_QEMU_X86];
	struct sc_note notes[9];
	for (unsigned i = 0; i < 4; i++) {
		sc_prstatus_x86_64(prs[i], i + 1, 0xffffffff81000000ULL + i);
		sc_qemu_x86(qemu[i], 0x10000000 + 0x1000 * i);
	}

	/* QEMU, x86_64, 2 vCPUs, RAM split around a hole. */
	notes[0] = (struct sc_note){ "CORE", NT_PRSTATUS, prs[0],
				     SC_PRSTATUS_X86_64 };
	notes[1] = (struct sc_note){ "CORE", NT_PRSTATUS, prs[1],
				     SC_PRSTATUS_X86_64 };
	notes[2] = (struct sc_note){ "QEMU", 0, qemu[0], SC_QEMU_X86 };
	notes[3] = (struct sc_note){ "QEMU", 0, qemu[1], SC_QEMU_X86 };
	notes[4] = (struct sc_note){ "VMCOREINFO", 0, vmci, sizeof(vmci) };
	const struct sc_load qemu_loads[] = {
		{ 0, 0x800, 0x800, NULL, -1, false },
		{ 0x1000, 0x1000, 0x400, NULL, -1, false },
		{ 0x100000000ULL, 0x400, 0x400, NULL, -1, false },
	};
	struct sc_core d = { .notes = notes, .nr_notes = 5,
			     .loads = qemu_loads, .nr_loads = 3 };
	put("qemu-x86_64-2cpu", &d, 0);

	/* A kernel dump: pr_pid the running task's, a kernel-text PT_LOAD
	 * repeating part of the RAM one, one reaching past it. */
	static uint8_t kprs[4][SC_PRSTATUS_X86_64];
	static const uint32_t pids[4] = { 0, 0, 1234, 0 };
	struct sc_note knotes[5];
	for (unsigned i = 0; i < 4; i++) {
		sc_prstatus_x86_64(kprs[i], pids[i], 0xffffffff81000000ULL);
		knotes[i] = (struct sc_note){ "CORE", NT_PRSTATUS, kprs[i],
					      SC_PRSTATUS_X86_64 };
	}
	knotes[4] = (struct sc_note){ "VMCOREINFO", 0, vmci, sizeof(vmci) };
	const struct sc_load kd_loads[] = {
		{ 0x1000200, 0x200, 0x200, NULL, -1, false },
		{ 0x1000000, 0x1000, 0x1000, NULL, -1, false },
		{ 0x1000f00, 0x400, 0x400, NULL, -1, false },
		{ 0x2000000, 0x800, 0, NULL, -1, false },
	};
	struct sc_core kd = { .notes = knotes, .nr_notes = 5,
			      .loads = kd_loads, .nr_loads = 4 };
	put("kdump-x86_64-overlaps", &kd, 0);

	/* makedumpfile -E: a PT_LOAD per run of kept pages. */
	static struct sc_load many[200];
	for (unsigned i = 0; i < 200; i++)
		many[i] = (struct sc_load){ 0x100000 + i * 0x100,
					    i % 5 ? 0x20 : 0x80,
					    i % 7 ? 0x20 : 0, NULL, -1, false };
	struct sc_core md = { .notes = knotes + 4, .nr_notes = 1,
			      .loads = many, .nr_loads = 200 };
	put("makedumpfile-E-many", &md, 0);

	/* PN_XNUM (the count in section 0), kept small. */
	struct sc_core xn = { .xnum = true, .notes = knotes, .nr_notes = 2,
			      .loads = qemu_loads, .nr_loads = 3 };
	put("xnum", &xn, 0);

	/* QEMU arm64: pr_pid, pr_reg at 112 (34 registers), NT_PRFPREG. */
	static uint8_t aprs[2][392], fp[2][528];
	struct sc_note anotes[5];
	for (unsigned i = 0; i < 2; i++) {
		uint32_t pid = i + 1;
		memcpy(aprs[i] + 32, &pid, 4);
		for (unsigned r = 0; r < 34; r++) {
			uint64_t v = 0xffff800008000000ULL + r;
			memcpy(aprs[i] + 112 + 8 * r, &v, 8);
		}
		anotes[2 * i] = (struct sc_note){ "CORE", NT_PRSTATUS, aprs[i],
						  392 };
		anotes[2 * i + 1] = (struct sc_note){ "CORE", NT_PRFPREG,
						      fp[i], 528 };
	}
	anotes[4] = (struct sc_note){ "VMCOREINFO", 0, vmci, sizeof(vmci) };
	const struct sc_load arm_loads[] = {
		{ 0x40000000, 0x1000, 0x800, NULL, -1, false },
	};
	struct sc_core arm = { .machine = EM_AARCH64, .notes = anotes,
			       .nr_notes = 5, .loads = arm_loads,
			       .nr_loads = 1 };
	put("qemu-aarch64-2cpu", &arm, 0);

	/* Cut short in the middle of the second PT_LOAD. */
	size_t size;
	free(sc_build(&d, &size));
	put("qemu-x86_64-truncated", &d, size - 0x500);

	/* Overlapping PT_LOADs that disagree: the open must fail. */
	static uint8_t other[0x100];
	const struct sc_load bad[] = {
		{ 0x1000, 0x200, 0x200, NULL, -1, false },
		{ 0x1100, 0x100, 0x100, other, -1, false },
	};
	struct sc_core conflict = { .loads = bad, .nr_loads = 2 };
	put("overlap-conflict", &conflict, 0);
	return 0;
}
