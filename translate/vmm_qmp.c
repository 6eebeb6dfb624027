#include "translate/vmm_qmp.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/err.h"

#define QMP_REPLY_MAX (4u << 20)
#define QMP_TIMEOUT_MS 5000

struct qmp {
	const struct qmp_io *io;
	char *buf;
	size_t len;
};

/* Read until a complete line holding "return" or "error" arrives; events
 * and the greeting are skipped. The reply stays in q->buf. */
static int qmp_reply(struct qmp *q, char *err)
{
	q->len = 0;
	for (;;) {
		char *nl;
		while ((nl = memchr(q->buf, '\n', q->len))) {
			*nl = '\0';
			if (strstr(q->buf, "\"return\"") ||
			    strstr(q->buf, "\"error\""))
				return strstr(q->buf, "\"error\"")
					       ? set_err(err, "QMP: %.200s",
							 q->buf)
					       : 0;
			size_t rest = q->len - (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, rest);
			q->len = rest;
		}
		if (q->len >= QMP_REPLY_MAX - 1)
			return set_err(err, "QMP: reply too long");
		ssize_t n = q->io->recv(q->io->ctx, q->buf + q->len,
					QMP_REPLY_MAX - 1 - q->len,
					QMP_TIMEOUT_MS);
		if (n == QMP_IO_TIMEOUT)
			return set_err(err, "QMP %s: no reply within %d s (QEMU "
				       "serves one QMP client at a time: is "
				       "another one connected?)", q->io->name,
				       QMP_TIMEOUT_MS / 1000);
		if (n <= 0)
			return set_err(err, "QMP: connection closed");
		q->len += (size_t)n;
	}
}

static int qmp_cmd(struct qmp *q, const char *json, char *err)
{
	if (q->io->send(q->io->ctx, json, strlen(json)))
		return set_err(err, "QMP: write: %s", strerror(errno));
	return qmp_reply(q, err);
}

/* The string of "return": "..." with JSON escapes undone, in place. */
static char *return_string(char *reply)
{
	char *p = strstr(reply, "\"return\"");
	if (!p || !(p = strchr(p + 8, '"')))
		return NULL;
	char *out = ++p, *w = p;
	for (; *p && *p != '"'; p++) {
		if (*p != '\\') {
			*w++ = *p;
			continue;
		}
		switch (*++p) {
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case 'r': break;
		case '\0': *w = '\0'; return out;
		case 'u': /* \u00XX: only ASCII is expected here */
			if (p[1] && p[2] && p[3] && p[4]) {
				*w++ = (char)strtol((char[]){ p[3], p[4], 0 },
						    NULL, 16);
				p += 4;
			}
			break;
		default: *w++ = *p;
		}
	}
	*w = '\0';
	return out;
}

static int hmp(struct qmp *q, const char *cmd, char **text, char *err)
{
	char json[256];
	snprintf(json, sizeof(json),
		 "{\"execute\":\"human-monitor-command\","
		 "\"arguments\":{\"command-line\":\"%s\"}}\n", cmd);
	if (qmp_cmd(q, json, err))
		return -1;
	*text = return_string(q->buf);
	return *text ? 0 : set_err(err, "QMP: %s: no text in the reply", cmd);
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

/* The socket behind struct qmp_io. */
struct qmp_socket {
	int fd;
};

static int socket_send(void *ctx, const char *buf, size_t len)
{
	struct qmp_socket *so = ctx;
	return write(so->fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static ssize_t socket_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct qmp_socket *so = ctx;
	struct pollfd p = { so->fd, POLLIN, 0 };
	if (poll(&p, 1, timeout_ms) <= 0)
		return QMP_IO_TIMEOUT;
	return read(so->fd, buf, len);
}

int qmp_ram_regions(struct guest_mem *m, const struct qmp_io *io, char *err)
{
	struct qmp q = { io, malloc(QMP_REPLY_MAX), 0 };
	int added = -1;
	if (!q.buf) {
		set_err(err, "QMP: %s", strerror(errno));
		goto out;
	}
	/* The greeting is neither a return nor an error: qmp_reply skips
	 * it on the way to the capabilities reply. */
	if (qmp_cmd(&q, "{\"execute\":\"qmp_capabilities\"}\n", err))
		goto out;
	char *mtree;
	if (hmp(&q, "info mtree -f", &mtree, err))
		goto out;
	/* The flat view of the system address space (AS "memory"). */
	char *view = strstr(mtree, "AS \"memory\", root: system");
	if (!view) {
		set_err(err, "QMP: no system address space in info mtree");
		goto out;
	}
	char *view_end = strstr(view, "\nFlatView");
	if (view_end)
		*view_end = '\0';
	char *copy = strdup(view);
	if (!copy) {
		set_err(err, "out of memory");
		goto out;
	}
	added = 0;
	/* The run of pieces being collected: adjacent in the guest and in
	 * one memory region, offsets continuing, so also one block of the
	 * VMM's memory (the same GPA range may be pieces of several
	 * regions: q35's BIOS ends where RAM above 4 GiB starts). */
	struct qmp_piece run = { 0 };
	uint64_t run_start = 0, run_end = 0;
	for (char *line = strtok(copy, "\n");; line = strtok(NULL, "\n")) {
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
			char *is;
			if (hmp(&q, cmd, &text, err) ||
			    !(is = strstr(text, " is ")) ||
			    sscanf(is + 4, "%" SCNx64, &hva) != 1 ||
			    guest_mem_add_region(m, run_start,
						 run_end - run_start, hva, err)) {
				if (!err || !*err)
					set_err(err, "QMP: gpa2hva %#" PRIx64
						" failed", run_start);
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
	free(copy);
	if (added == 0)
		added = set_err(err, "QMP: no RAM in QEMU's memory map");
out:
	free(q.buf);
	return added;
}

int qmp_add_ram_regions(struct guest_mem *m, const char *socket_path,
			char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return set_err(err, "--qmp %s: path too long", socket_path);
	strcpy(sa.sun_path, socket_path);
	struct qmp_socket so = { socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					0) };
	if (so.fd < 0)
		return set_err(err, "QMP: %s", strerror(errno));
	int added;
	if (connect(so.fd, (struct sockaddr *)&sa, sizeof(sa))) {
		added = set_err(err, "--qmp %s: %s", socket_path,
				strerror(errno));
	} else {
		struct qmp_io io = { &so, socket_path, socket_send,
				     socket_recv };
		added = qmp_ram_regions(m, &io, err);
	}
	close(so.fd);
	return added;
}
