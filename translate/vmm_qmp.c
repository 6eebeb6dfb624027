#include "translate/vmm_qmp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* `info mtree -f` of a big machine takes QEMU a while. */
#define QMP_RAM_TIMEOUT_MS 5000

static int hmp(struct qmp_client *q, const char *cmd, char **text, char *err)
{
	return qmp_client_hmp(q, cmd, text, QMP_RAM_TIMEOUT_MS, err);
}

bool qmp_parse_mtree_ram(const char *line, struct qmp_piece *p)
{
	/* "  0000000000100000-000000007fffffff (prio 0, ram): pc.ram
	 * @0000000000100000 KVM": the offset in the region is left out
	 * when 0; what follows it (accelerator, owner) does not matter. */
	uint64_t a, b;
	int prio, used = 0, name_end = 0;
	char kind[16];
	if (sscanf(line, " %" SCNx64 "-%" SCNx64 " (prio %d, %15[a-z]):%n",
		   &a, &b, &prio, kind, &used) < 4 || !used)
		return false;
	/* "rom" pieces are RAM the guest may not write (PAM, BIOS). */
	if ((strcmp(kind, "ram") && strcmp(kind, "rom")) || b < a ||
	    b == UINT64_MAX)
		return false;
	if (sscanf(line + used, " %63s%n", p->name, &name_end) < 1)
		return false;
	p->offset = 0;
	const char *rest = line + used + name_end;
	if (rest[0] == ' ' && rest[1] == '@' &&
	    sscanf(rest + 2, "%" SCNx64, &p->offset) != 1)
		return false;
	p->start = a;
	p->end = b + 1;
	return true;
}

int qmp_ram_regions(struct guest_mem *m, struct qmp_client *q, char *err)
{
	int added = -1;
	char *mtree;
	if (hmp(q, "info mtree -f", &mtree, err))
		return -1;
	/* The flat view of the system address space (AS "memory"). */
	char *view = strstr(mtree, "AS \"memory\", root: system");
	if (!view) {
		set_err(err, "QMP: no system address space in info mtree");
		goto out;
	}
	char *view_end = strstr(view, "\nFlatView");
	if (view_end)
		*view_end = '\0';
	added = 0;
	/* The run of pieces being collected: adjacent in the guest and in
	 * one memory region, offsets continuing, so also one block of the
	 * VMM's memory (the same GPA range may be pieces of several
	 * regions: q35's BIOS ends where RAM above 4 GiB starts). */
	struct qmp_piece run = { 0 };
	uint64_t run_start = 0, run_end = 0;
	for (char *line = strtok(view, "\n");; line = strtok(NULL, "\n")) {
		struct qmp_piece p;
		bool ram = line && qmp_parse_mtree_ram(line, &p);
		if (ram && run_end && p.start == run_end &&
		    !strcmp(p.name, run.name) &&
		    p.offset == run.offset + (p.start - run_start)) {
			run_end = p.end;
			continue;
		}
		if (run_end) {
			char cmd[64], *text;
			snprintf(cmd, sizeof(cmd), "gpa2hva %#" PRIx64,
				 run_start);
			uint64_t hva;
			if (hmp(q, cmd, &text, err)) {
				added = -1;
				break;
			}
			/* "Host virtual address for 0x0 (pc.ram) is 0x7f..." */
			char *is = strstr(text, " is ");
			bool ok = is && sscanf(is + 4, "%" SCNx64, &hva) == 1;
			free(text);
			if (!ok) {
				set_err(err, "QMP: gpa2hva %#" PRIx64 " failed",
					run_start);
				added = -1;
				break;
			}
			if (guest_mem_add_region(m, run_start,
						 run_end - run_start, hva, err)) {
				added = -1;
				break;
			}
			added++;
			run_end = 0;
		}
		if (!line)
			break;
		if (ram) {
			run = p;
			run_start = p.start;
			run_end = p.end;
		}
	}
	if (added == 0)
		added = set_err(err, "QMP: no RAM in QEMU's memory map");
out:
	free(mtree);
	return added;
}

int qmp_add_ram_regions(struct guest_mem *m, const char *socket_path,
			char *err)
{
	struct qmp_client *q = qmp_client_connect(socket_path, err);
	if (!q)
		return -1;
	int added = qmp_ram_regions(m, q, err);
	qmp_client_close(q);
	return added;
}
