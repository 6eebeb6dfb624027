/* The notes of an ELF dump, read with libelf (gelf_getnote over each
 * PT_NOTE), copied out of the dump (it may be truncated under lkstub), and
 * placed on CPUs as elfcore_notes.h says. */
#include "translate/elfcore_notes.h"

#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* offsetof(struct elf_prstatus, pr_pid) on 64-bit Linux; QEMU writes the
 * vCPU index + 1 there, the kernel the pid of the running task. */
#define PR_PID_OFF 32

void elfcore_warn(struct elfcore_notes *n, const char *fmt, ...)
{
	char msg[ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n->nr_warnings)
		memcpy(n->warning, msg, sizeof(msg));
	n->nr_warnings++;
	if (!n->quiet && n->nr_warnings <= ELFCORE_PRINTED_WARNINGS)
		fprintf(stderr, "lkstub: %s\n", msg);
}

/* Passes over every note: 0 checks the PT_NOTEs and sizes the copy, 1
 * takes VMCOREINFO and NT_PRSTATUS, 2 the QEMU notes. */
struct scan {
	struct elfcore_notes *n;
	int pass;
	size_t run;        /* PT_NOTE bytes taken so far in this pass */
	size_t total;      /* bytes of the readable PT_NOTEs */
	unsigned cap_cpus; /* entries allocated in n->cpus */
	unsigned nr_qemu;
	bool qemu_made;    /* a note only QEMU writes was seen */
};

static bool name_is(const char *name, uint32_t namesz, const char *want)
{
	return namesz == strlen(want) + 1 && !memcmp(name, want, namesz);
}

static struct elfcore_note keep(struct elfcore_notes *n, const uint8_t *desc,
				size_t len)
{
	/* Never past the copy: its size is the PT_NOTEs' and every desc
	 * lies inside one of them, each copied at most once. */
	if (len > n->copy_cap - n->copy_len)
		len = n->copy_cap - n->copy_len;
	struct elfcore_note k = { n->copy + n->copy_len, len };
	memcpy(n->copy + n->copy_len, desc, len);
	n->copy_len += len;
	return k;
}

static void one_note(struct scan *s, const char *name, const GElf_Nhdr *nh,
		     const uint8_t *desc)
{
	struct elfcore_notes *n = s->n;
	bool core = name_is(name, nh->n_namesz, "CORE");
	bool qemu = name_is(name, nh->n_namesz, "QEMU");
	if (s->pass == 0) {
		if (qemu || (core && nh->n_type == NT_PRFPREG))
			s->qemu_made = true;
		if (core && nh->n_type == NT_PRSTATUS)
			n->nr_prstatus++;
		return;
	}
	if (s->pass == 1) {
		if (name_is(name, nh->n_namesz, "VMCOREINFO")) {
			if (n->vmcoreinfo.desc)
				elfcore_warn(n, "a second VMCOREINFO note: "
					     "the first one is used");
			else
				n->vmcoreinfo = keep(n, desc, nh->n_descsz);
		} else if (core && nh->n_type == NT_PRSTATUS &&
			   n->nr_cpus < s->cap_cpus) {
			n->cpus[n->nr_cpus++] = (struct elfcore_cpu){
				-1, keep(n, desc, nh->n_descsz), { 0 }
			};
		}
		return;
	}
	if (qemu) {
		if (s->nr_qemu < n->nr_cpus)
			n->cpus[s->nr_qemu].qemu = keep(n, desc, nh->n_descsz);
		s->nr_qemu++;
	}
}

static int each_note(struct scan *s, Elf *e, const size_t *ph, size_t nr_ph,
		     char *err)
{
	s->run = 0;
	for (size_t i = 0; i < nr_ph; i++) {
		GElf_Phdr p;
		if (!gelf_getphdr(e, (int)ph[i], &p))
			return set_err(err, "program header %zu: %s", ph[i],
				       elf_errmsg(-1));
		if (p.p_filesz > ELFCORE_MAX_NOTE_BYTES - s->run) {
			if (s->pass == 0)
				elfcore_warn(s->n, "PT_NOTE %zu (%llu bytes) "
					     "makes the notes larger than %u "
					     "MiB: ignored", ph[i],
					     (unsigned long long)p.p_filesz,
					     ELFCORE_MAX_NOTE_BYTES >> 20);
			continue;
		}
		Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)p.p_offset,
						   p.p_filesz, ELF_T_NHDR);
		if (!d) {
			if (s->pass == 0)
				elfcore_warn(s->n, "PT_NOTE %zu (offset %#llx, "
					     "%llu bytes) cannot be read: %s",
					     ph[i],
					     (unsigned long long)p.p_offset,
					     (unsigned long long)p.p_filesz,
					     elf_errmsg(-1));
			continue;
		}
		s->run += p.p_filesz;
		size_t off = 0;
		while (off < d->d_size) {
			GElf_Nhdr nh;
			size_t name_off, desc_off;
			size_t next = gelf_getnote(d, off, &nh, &name_off,
						   &desc_off);
			if (next <= off) {
				if (s->pass == 0)
					elfcore_warn(s->n, "PT_NOTE %zu: a "
						     "malformed note at byte "
						     "%zu: the %zu bytes from "
						     "there ignored", ph[i],
						     off, d->d_size - off);
				break;
			}
			one_note(s, (const char *)d->d_buf + name_off, &nh,
				 (const uint8_t *)d->d_buf + desc_off);
			off = next;
		}
	}
	return 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct elfcore_cpu *x = a, *y = b;
	return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

/* QEMU's notes: the CPU is pr_pid - 1. Entries that cannot be placed are
 * dropped (with their QEMU note); the rest sorted by CPU. */
static void place_by_pr_pid(struct elfcore_notes *n)
{
	uint8_t seen[ELFCORE_MAX_CPUS / 8] = { 0 };
	unsigned w = 0;
	for (unsigned k = 0; k < n->nr_cpus; k++) {
		struct elfcore_cpu c = n->cpus[k];
		uint32_t pid;
		if (c.prstatus.len < PR_PID_OFF + 4) {
			elfcore_warn(n, "NT_PRSTATUS note %u is %zu bytes, too "
				     "short to say its vCPU (pr_pid): left out",
				     k, c.prstatus.len);
			continue;
		}
		memcpy(&pid, c.prstatus.desc + PR_PID_OFF, 4);
		if (pid == 0 || pid > ELFCORE_MAX_CPUS) {
			elfcore_warn(n, "NT_PRSTATUS note %u: pr_pid %u is not "
				     "a vCPU index + 1 (1..%u): left out", k,
				     pid, ELFCORE_MAX_CPUS);
			continue;
		}
		if (seen[(pid - 1) / 8] & (1u << ((pid - 1) % 8))) {
			elfcore_warn(n, "NT_PRSTATUS note %u: pr_pid %u again: "
				     "left out", k, pid);
			continue;
		}
		seen[(pid - 1) / 8] |= (uint8_t)(1u << ((pid - 1) % 8));
		c.cpu = (int)pid - 1;
		n->cpus[w++] = c;
	}
	n->nr_cpus = w;
	qsort(n->cpus, n->nr_cpus, sizeof(n->cpus[0]), cmp_cpu);
}

int elfcore_notes_read(struct elfcore_notes *n, Elf *e, const size_t *ph,
		       size_t nr_ph, char *err)
{
	struct scan s = { .n = n };
	if (each_note(&s, e, ph, nr_ph, err))
		return -1;
	s.total = s.run;
	if (n->nr_prstatus > ELFCORE_MAX_CPUS)
		elfcore_warn(n, "%u NT_PRSTATUS notes: those after the first "
			     "%u left out", n->nr_prstatus, ELFCORE_MAX_CPUS);
	s.cap_cpus = n->nr_prstatus < ELFCORE_MAX_CPUS ? n->nr_prstatus
						       : ELFCORE_MAX_CPUS;
	n->copy_cap = s.total;
	n->copy = malloc(s.total ? s.total : 1);
	n->cpus = calloc(s.cap_cpus ? s.cap_cpus : 1, sizeof(*n->cpus));
	if (!n->copy || !n->cpus)
		return set_err(err, "out of memory for %zu bytes of notes",
			       s.total);
	s.pass = 1;
	if (each_note(&s, e, ph, nr_ph, err))
		return -1;
	s.pass = 2;
	if (s.qemu_made && each_note(&s, e, ph, nr_ph, err))
		return -1;
	if (s.nr_qemu > n->nr_cpus)
		elfcore_warn(n, "%u QEMU CPU-state notes for %u NT_PRSTATUS "
			     "notes: the last %u left out", s.nr_qemu,
			     n->nr_cpus, s.nr_qemu - n->nr_cpus);
	n->by_pr_pid = s.qemu_made;
	if (n->by_pr_pid)
		place_by_pr_pid(n);
	return 0;
}

const struct elfcore_cpu *elfcore_cpu_notes(const struct elfcore_notes *n,
					    unsigned cpu, unsigned idx)
{
	if (!n->by_pr_pid)
		return idx < n->nr_cpus ? &n->cpus[idx] : NULL;
	unsigned lo = 0, hi = n->nr_cpus;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if ((unsigned)n->cpus[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n->nr_cpus && (unsigned)n->cpus[lo].cpu == cpu
		       ? &n->cpus[lo]
		       : NULL;
}

void elfcore_notes_free(struct elfcore_notes *n)
{
	free(n->cpus);
	free(n->copy);
	memset(n, 0, sizeof(*n));
}
