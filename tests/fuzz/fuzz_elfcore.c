/* An ELF dump as a hostile file: guest_mem_open_elfcore_fd over the input
 * (in a memfd), then reads and the CPU notes.
 *
 * Checks: a failed open says why and leaves nothing behind; an open one
 * has sorted, disjoint regions, notes inside their copy, CPUs placed once
 * each; and against the program headers parsed here independently, every
 * byte a PT_LOAD has in the file is served (none dropped silently) and is
 * what that PT_LOAD holds (overlaps only merged when they agree), zero
 * past p_filesz.
 *
 * Input: the file's bytes. */
#include "tests/fuzz/fuzz_input.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbols/kernel.h"
#include "translate/mem_elfcore.h"

#define MAX_CHECKED_LOADS 64

static bool le(const uint8_t *d, size_t size, uint64_t off, void *out,
	       size_t n)
{
	if (off > size || n > size - off)
		return false;
	memcpy(out, d + off, n);
	return true;
}

/* A served byte must be the PT_LOAD's; one in the file must be served. */
static void check_byte(const struct guest_mem *m, const uint8_t *d,
		       size_t size, const Elf64_Phdr *p, uint64_t in)
{
	uint64_t foff = p->p_offset + in;
	bool in_file = in < p->p_filesz;
	if (in_file && (foff < p->p_offset || foff >= size))
		return; /* past the end: not known, may not be served */
	/* The zero fill of a PT_LOAD cut short by the end of the file is
	 * dropped with the rest of it (another PT_LOAD may serve it). */
	bool whole = !p->p_filesz || (p->p_offset <= size &&
				      p->p_filesz <= size - p->p_offset);
	if (!in_file && !whole)
		return;
	uint8_t want = in_file ? d[foff] : 0, got;
	size_t n = guest_mem_read(m, p->p_paddr + in, &got, 1);
	FUZZ_CHECK(n == 1, "GPA %#llx of a PT_LOAD not served",
		   (unsigned long long)(p->p_paddr + in));
	FUZZ_CHECK(got == want, "GPA %#llx: %#x, the PT_LOAD has %#x",
		   (unsigned long long)(p->p_paddr + in), got, want);
}

static void check_loads(const struct guest_mem *m, const uint8_t *d,
			size_t size)
{
	Elf64_Ehdr eh;
	if (!le(d, size, 0, &eh, sizeof(eh)) || eh.e_phentsize != sizeof(Elf64_Phdr))
		return;
	/* PN_XNUM: the count is in section 0, where libelf sees sections
	 * (a section table inside the file). */
	uint64_t phnum = eh.e_phnum;
	Elf64_Shdr sh0;
	if (phnum == PN_XNUM && eh.e_shoff &&
	    le(d, size, eh.e_shoff, &sh0, sizeof(sh0))) {
		uint64_t nsec = eh.e_shnum ? eh.e_shnum : sh0.sh_size;
		if (nsec && nsec <= (size - eh.e_shoff) / sizeof(sh0))
			phnum = sh0.sh_info;
	}
	unsigned checked = 0;
	for (uint64_t i = 0; i < phnum && checked < MAX_CHECKED_LOADS; i++) {
		Elf64_Phdr p;
		if (!le(d, size, eh.e_phoff + i * sizeof(p), &p, sizeof(p)))
			return;
		if (p.p_type != PT_LOAD || !p.p_memsz)
			continue;
		checked++;
		uint64_t at[] = { 0, p.p_memsz - 1, p.p_filesz, p.p_filesz - 1,
				  p.p_memsz / 2, p.p_filesz / 2, 4095, 4096 };
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
			if (at[k] < p.p_memsz)
				check_byte(m, d, size, &p, at[k]);
	}
}

static bool inside(const struct elfcore_notes *n, const struct elfcore_note *e)
{
	if (!e->len)
		return true;
	return e->desc >= n->copy && e->desc <= n->copy + n->copy_len &&
	       e->len <= (size_t)(n->copy + n->copy_len - e->desc);
}

static void check_notes(const struct elfcore_notes *n)
{
	FUZZ_CHECK(inside(n, &n->vmcoreinfo), "VMCOREINFO outside the copy");
	FUZZ_CHECK(n->nr_cpus <= ELFCORE_MAX_CPUS && n->copy_len <= n->copy_cap,
		   "%u CPUs, copy %zu of %zu", n->nr_cpus, n->copy_len,
		   n->copy_cap);
	for (unsigned i = 0; i < n->nr_cpus; i++) {
		const struct elfcore_cpu *c = &n->cpus[i];
		FUZZ_CHECK(inside(n, &c->prstatus) && inside(n, &c->qemu),
			   "CPU note %u outside the copy", i);
		if (n->by_pr_pid) {
			FUZZ_CHECK(c->cpu >= 0 && c->cpu < ELFCORE_MAX_CPUS &&
				   (i == 0 || c->cpu > n->cpus[i - 1].cpu),
				   "CPU %d at %u: not sorted, or twice", c->cpu,
				   i);
			FUZZ_CHECK(elfcore_cpu_notes(n, (unsigned)c->cpu, 0) == c,
				   "CPU %d not found by its number", c->cpu);
		} else {
			FUZZ_CHECK(c->cpu == -1, "kernel dump note %u has CPU %d",
				   i, c->cpu);
		}
		struct saved_regs r;
		const struct kernel_arch *a = n->machine == EM_AARCH64
						      ? &kernel_aarch64
						      : &kernel_x86_64;
		if (!a->prstatus_regs(c->prstatus.desc, c->prstatus.len, &r))
			FUZZ_CHECK(r.n <= 40, "%u registers", r.n);
		if (c->qemu.len && a->qemu_cpu_note &&
		    !a->qemu_cpu_note(c->qemu.desc, c->qemu.len, &r))
			FUZZ_CHECK(r.n <= 40, "%u registers", r.n);
	}
	FUZZ_CHECK(!elfcore_cpu_notes(n, ELFCORE_MAX_CPUS, ELFCORE_MAX_CPUS),
		   "a CPU past the last");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-core", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	struct guest_mem m;
	struct elfcore_notes n;
	char err[ERR_LEN] = "";
	if (guest_mem_open_elfcore_fd(&m, fd, "fuzz", true, &n, err)) {
		FUZZ_CHECK(err[0] && !m.ops && !n.cpus && !n.copy,
			   "failed open: err \"%s\"", err);
		return 0;
	}
	for (unsigned i = 0; i < m.nr_regions; i++) {
		const struct guest_region *r = &m.regions[i];
		FUZZ_CHECK(r->size && r->offset + r->size <= m.src_size &&
			   (i == 0 || r->gpa >= m.regions[i - 1].gpa +
						  m.regions[i - 1].size),
			   "region %u GPA %#llx size %#llx", i,
			   (unsigned long long)r->gpa,
			   (unsigned long long)r->size);
	}
	check_loads(&m, data, size);
	check_notes(&n);
	uint8_t buf[256];
	if (m.nr_regions) {
		const struct guest_region *r = &m.regions[m.nr_regions - 1];
		size_t tail = r->size < 8 ? (size_t)r->size : 8;
		size_t got = guest_mem_read(&m, r->gpa + r->size - tail, buf,
					    sizeof(buf));
		FUZZ_CHECK(got == tail, "read at the end of the last region: "
			   "%zu of %zu", got, tail);
	}
	FUZZ_CHECK(!guest_mem_failure(&m), "failed: %s", guest_mem_failure(&m));
	guest_mem_close(&m);
	elfcore_notes_free(&n);
	return 0;
}
