#include "stub/target/vcpu_live.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libelf.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "stub/target/gdb_arch.h"
#include "symbols/kernel.h"
#include "translate/elfcore_notes.h"
#include "translate/qmp_client.h"

#define DUMP_FD_NAME "lkstub-vcpus"
#define DUMP_MAX (16u << 20) /* notes of VCPU_MAX vCPUs and one page */

static void note(struct vcpu_live *v, const char *msg)
{
	if (strcmp(v->note, msg)) {
		snprintf(v->note, sizeof(v->note), "%s", msg);
		fprintf(stderr, "lkstub: vCPU registers: %s\n", msg);
	}
}

/* The client, connecting again if the last one was lost. */
static struct qmp_client *client(struct vcpu_live *v, char *err)
{
	if (v->qmp && !qmp_client_connected(v->qmp)) {
		qmp_client_close(v->qmp);
		v->qmp = NULL;
	}
	if (!v->qmp)
		v->qmp = qmp_client_connect(v->socket, err);
	return v->qmp;
}

/* Done talking to QEMU for now: free the socket for its other users. */
static void release(struct vcpu_live *v)
{
	if (v->qmp && !v->keep_open) {
		qmp_client_close(v->qmp);
		v->qmp = NULL;
	}
}

int vcpu_live_init(struct vcpu_live *v, const char *socket,
		   struct qmp_client *qmp, unsigned elf_machine,
		   const struct gdb_arch *gdb, const struct kernel_arch *karch,
		   bool no_pause, char *err)
{
	memset(v, 0, sizeof(*v));
	if (strlen(socket) >= sizeof(v->socket))
		return set_err(err, "--qmp %s: path too long", socket);
	strcpy(v->socket, socket);
	v->hmp = vcpu_hmp_for(elf_machine);
	if (!v->hmp)
		return set_err(err, "vCPU registers: no reader for this "
			       "architecture");
	v->gdb = gdb;
	v->karch = karch;
	v->no_pause = no_pause;
	v->cpu = calloc(VCPU_MAX, sizeof(*v->cpu));
	v->served = calloc(VCPU_MAX, sizeof(*v->served));
	if (!v->cpu || !v->served) {
		vcpu_live_free(v);
		return set_err(err, "out of memory");
	}
	v->qmp = qmp;
	v->keep_open = qmp != NULL;
	char cerr[ERR_LEN] = "";
	if (!client(v, cerr))
		note(v, cerr);
	release(v);
	return 0;
}

void vcpu_live_free(struct vcpu_live *v)
{
	if (v->qmp)
		qmp_client_close(v->qmp);
	free(v->cpu);
	free(v->served);
	memset(v, 0, sizeof(*v));
}

/* Is the VM running? -1 with err when QEMU does not say. */
static int vm_running(struct qmp_client *q, char *err)
{
	struct json_object *ret, *running;
	if (qmp_client_execute(q, "query-status", NULL, &ret,
			       QMP_REQUEST_TIMEOUT_MS, err))
		return -1;
	int r = json_object_object_get_ex(ret, "running", &running) &&
				json_object_is_type(running, json_type_boolean)
			? json_object_get_boolean(running)
			: set_err(err, "QMP query-status: no \"running\"");
	json_object_put(ret);
	return r;
}

/* Resume a VM this code stopped. A lost connection is made again: the
 * VM must not stay stopped because a reply went astray. */
static int resume(struct vcpu_live *v, char *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct qmp_client *q = client(v, err);
		if (q && !qmp_client_execute(q, "cont", NULL, NULL,
					     2 * QMP_REQUEST_TIMEOUT_MS, err))
			return 0;
	}
	fprintf(stderr, "lkstub: could not resume the VM it paused: %s\n",
		err);
	return -1;
}

/* What a dump's QEMU CPU-state notes add (x86: kernel_gs_base). The
 * dump goes to a memory file handed to QEMU; only its notes are read. */
static void dump_notes(struct vcpu_live *v, struct qmp_client *q)
{
	char err[ERR_LEN];
	int fd = memfd_create("lkstub-vcpus", MFD_CLOEXEC);
	if (fd < 0)
		return;
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "paging", json_object_new_boolean(0));
	json_object_object_add(args, "protocol",
			       json_object_new_string("fd:" DUMP_FD_NAME));
	/* One page of RAM: the notes are what is wanted. */
	json_object_object_add(args, "begin", json_object_new_int64(0));
	json_object_object_add(args, "length", json_object_new_int64(4096));
	struct stat st;
	uint8_t *map = MAP_FAILED;
	Elf *e = NULL;
	struct elfcore_notes notes = { .quiet = true };
	if (qmp_client_getfd(q, DUMP_FD_NAME, fd, err))
		goto out;
	/* execute takes args over, whatever it returns. */
	int rc = qmp_client_execute(q, "dump-guest-memory", args, NULL,
				    2 * QMP_REQUEST_TIMEOUT_MS, err);
	args = NULL;
	if (rc)
		goto out;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(Elf64_Ehdr) ||
	    st.st_size > DUMP_MAX)
		goto out;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto out;
	elf_version(EV_CURRENT);
	e = elf_memory((char *)map, (size_t)st.st_size);
	size_t nph;
	if (!e || elf_getphdrnum(e, &nph) || nph > 64)
		goto out;
	size_t ph[64], nr = 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr p;
		if (gelf_getphdr(e, (int)i, &p) && p.p_type == PT_NOTE)
			ph[nr++] = i;
	}
	if (elfcore_notes_read(&notes, e, ph, nr, err))
		goto out;
	for (unsigned i = 0; i < v->n; i++) {
		const struct elfcore_cpu *c = elfcore_cpu_notes(&notes, i, i);
		struct saved_regs ctl;
		if (!c || !c->qemu.len || !v->karch->qemu_cpu_note ||
		    v->karch->qemu_cpu_note(c->qemu.desc, c->qemu.len, &ctl))
			continue;
		for (unsigned j = 0; j < ctl.n; j++)
			if (!strcmp(ctl.r[j].name, "kernel_gs_base"))
				gdb_arch_set_reg(v->gdb, &v->cpu[i].regs,
						 "k_gs_base", &ctl.r[j].value,
						 8);
	}
out:
	if (args)
		json_object_put(args);
	elfcore_notes_free(&notes);
	if (e)
		elf_end(e);
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
}

/* x86: CR8 is the local APIC's task priority, TPR >> 4. */
static void lapic_tpr(struct vcpu_live *v, struct qmp_client *q)
{
	for (unsigned i = 0; i < v->n; i++) {
		char cmd[32], err[ERR_LEN], *text;
		snprintf(cmd, sizeof(cmd), "info lapic %u", i);
		if (qmp_client_hmp(q, cmd, &text, QMP_REQUEST_TIMEOUT_MS, err))
			return;
		const char *t = strstr(text, " TPR 0x");
		unsigned long tpr;
		if (t && sscanf(t + 7, "%lx", &tpr) == 1 && tpr <= 0xff) {
			uint64_t cr8 = tpr >> 4;
			gdb_arch_set_reg(v->gdb, &v->cpu[i].regs, "cr8", &cr8,
					 8);
		}
		free(text);
	}
}

/* The client, and whether the VM runs; NULL with err when QEMU does not
 * answer. */
static struct qmp_client *client_running(struct vcpu_live *v, int *running,
					 char *err)
{
	struct qmp_client *q = client(v, err);
	if (q && (*running = vm_running(q, err)) < 0)
		return NULL;
	return q;
}

/* Read every vCPU: paused for the time it takes if it runs. */
static int refresh(struct vcpu_live *v, char *err)
{
	int running;
	struct qmp_client *q = client_running(v, &running, err);
	if (!q)
		return -1;
	if (running && v->no_pause)
		return set_err(err, "the VM runs and --no-pause forbids "
				    "pausing it to read them");
	uint64_t t0 = clock_now_ns();
	if (running &&
	    qmp_client_execute(q, "stop", NULL, NULL, QMP_REQUEST_TIMEOUT_MS,
			       err)) {
		/* A stop that timed out may still take effect. */
		char e2[ERR_LEN];
		resume(v, e2);
		return -1;
	}
	char *text = NULL;
	int rc = qmp_client_hmp(q, "info registers -a", &text,
				QMP_REQUEST_TIMEOUT_MS, err);
	memset(v->served, 0, VCPU_MAX * sizeof(*v->served));
	for (unsigned i = 0; i < VCPU_MAX; i++)
		v->cpu[i].seen = false;
	int n = rc ? -1
		   : vcpu_hmp_parse_all(v->hmp, text, v->gdb, v->cpu,
					VCPU_MAX, err);
	free(text);
	v->n = 0;
	if (n > 0)
		while (v->n < VCPU_MAX && v->cpu[v->n].seen)
			v->n++;
	if (n > 0 && v->hmp->dump_notes)
		dump_notes(v, q);
	if (n > 0 && v->hmp->lapic_tpr)
		lapic_tpr(v, q);
	if (running) {
		char e2[ERR_LEN];
		if (resume(v, e2))
			return set_err(err, "%s", e2);
		uint64_t dt = clock_now_ns() - t0;
		v->pauses++;
		v->pause_last_ns = dt;
		v->pause_total_ns += dt;
		if (!v->pause_min_ns || dt < v->pause_min_ns)
			v->pause_min_ns = dt;
		if (dt > v->pause_max_ns)
			v->pause_max_ns = dt;
	}
	return n > 0 ? 0 : -1;
}

const struct vcpu_state *vcpu_live_get(struct vcpu_live *v, unsigned cpu,
				       uint64_t gen, bool for_task)
{
	if (cpu >= VCPU_MAX)
		return NULL;
	if (!v->have || v->generation != gen || (v->served[cpu] && !for_task)) {
		char err[ERR_LEN] = "";
		v->have = refresh(v, err) == 0;
		release(v);
		v->generation = gen;
		v->taken_ns = clock_now_ns();
		if (!v->have) {
			note(v, err);
			return NULL;
		}
		v->note[0] = '\0';
	}
	if (cpu >= v->n || !v->cpu[cpu].seen)
		return NULL;
	if (!for_task)
		v->served[cpu] = true;
	return &v->cpu[cpu];
}

const struct vcpu_state *vcpu_live_peek(const struct vcpu_live *v,
					unsigned cpu)
{
	return v->have && cpu < v->n && v->cpu[cpu].seen ? &v->cpu[cpu] : NULL;
}

int vcpu_live_stop(struct vcpu_live *v, char *err)
{
	int running;
	struct qmp_client *q = client_running(v, &running, err);
	if (!q) {
		release(v);
		return -1;
	}
	int rc = 0;
	if (running) {
		rc = qmp_client_execute(q, "stop", NULL, NULL,
					QMP_REQUEST_TIMEOUT_MS, err);
		if (!rc)
			v->stopped_by_us = true;
	}
	release(v);
	v->have = false;
	return rc;
}

int vcpu_live_cont(struct vcpu_live *v, char *err)
{
	if (!v->stopped_by_us)
		return 0;
	int rc = resume(v, err);
	release(v);
	if (rc)
		return -1;
	v->stopped_by_us = false;
	v->have = false;
	return 0;
}

/* The access width for len bytes at gpa: xp's unit letter and bytes. */
static unsigned width(uint64_t gpa, size_t len, char *unit)
{
	static const struct { unsigned bytes; char unit; } w[] = {
		{ 8, 'g' }, { 4, 'w' }, { 2, 'h' }, { 1, 'b' },
	};
	for (unsigned i = 0; i < 4; i++)
		if (len % w[i].bytes == 0 && gpa % w[i].bytes == 0 &&
		    (len <= 8 || w[i].bytes <= 4)) {
			*unit = w[i].unit;
			return w[i].bytes;
		}
	*unit = 'b';
	return 1;
}

int vcpu_live_phys_read(struct vcpu_live *v, uint64_t gpa, void *buf,
			size_t len, char *err)
{
	if (len == 0 || len > 4096)
		return set_err(err, "device read of %zu bytes: at most 4096",
			       len);
	struct qmp_client *q = client(v, err);
	if (!q) {
		release(v);
		return -1;
	}
	char unit, cmd[64], *text;
	unsigned w = width(gpa, len, &unit);
	snprintf(cmd, sizeof(cmd), "xp /%zux%c %#" PRIx64, len / w, unit, gpa);
	int hrc = qmp_client_hmp(q, cmd, &text, QMP_REQUEST_TIMEOUT_MS, err);
	release(v);
	if (hrc)
		return -1;
	/* "00000000fed00000: 0x8086a201 0x00989680", a line per 16 bytes. */
	size_t got = 0;
	const char *p = text;
	while (got < len && (p = strstr(p, "0x"))) {
		char *e;
		errno = 0;
		uint64_t val = strtoull(p + 2, &e, 16);
		if (errno || e == p + 2)
			break;
		memcpy((uint8_t *)buf + got, &val, w); /* little-endian */
		got += w;
		p = e;
	}
	int rc = got == len ? 0
			    : set_err(err, "QEMU could not read %#" PRIx64
				      ": %.80s", gpa, text);
	free(text);
	return rc;
}

void vcpu_live_info(const struct vcpu_live *v, struct strbuf *out)
{
	strbuf_printf(out, "  vcpus         QMP %s (%s)%s\n", v->socket,
		      v->keep_open ? (v->qmp && qmp_client_connected(v->qmp)
					      ? "connected"
					      : "not connected")
				   : v->note[0] ? "connected for each read; the "
						  "last failed"
						: "connected for each read",
		      v->no_pause ? ", --no-pause" : "");
	if (v->pauses)
		strbuf_printf(out, "                pause per read of %u vCPUs: "
			      "last %.3f ms, "
			      "min %.3f, max %.3f, mean %.3f (%u reads)\n",
			      v->n, v->pause_last_ns / 1e6,
			      v->pause_min_ns / 1e6, v->pause_max_ns / 1e6,
			      v->pause_total_ns / 1e6 / v->pauses, v->pauses);
	if (v->note[0])
		strbuf_printf(out, "                registers unknown: %s\n",
			      v->note);
	/* What each vCPU was doing at the last read. */
	for (unsigned i = 0; v->have && i < v->n; i++) {
		uint64_t pc = 0, cr3 = 0;
		unsigned regnum, off, bytes;
		const struct vcpu_state *s = &v->cpu[i];
		if (!gdb_arch_reg_slot(v->gdb, v->gdb->regs[v->gdb->pc_regnum].name,
				       &regnum, &off, &bytes) &&
		    s->regs.valid[regnum])
			memcpy(&pc, s->regs.bytes + off, 8);
		strbuf_printf(out, "                CPU#%u %s pc %#llx", i,
			      s->user ? "user" : "kernel",
			      (unsigned long long)pc);
		if (!gdb_arch_reg_slot(v->gdb, "cr3", &regnum, &off, &bytes) &&
		    s->regs.valid[regnum]) {
			memcpy(&cr3, s->regs.bytes + off, 8);
			strbuf_printf(out, " cr3 %#llx", (unsigned long long)cr3);
		}
		strbuf_putc(out, '\n');
	}
	if (v->stopped_by_us)
		strbuf_printf(out, "                the VM is stopped by lkstub "
			      "(gdb's interrupt); continue or detach resumes "
			      "it\n");
}
