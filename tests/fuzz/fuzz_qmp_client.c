/* The QMP client (translate/qmp_client.c) with the fuzzer playing QEMU:
 * the greeting, replies, events and anything else come from the input,
 * cut into reads of any size, with a read that times out or fails where
 * the input says; lkstub runs a list of requests (execute, hmp, getfd)
 * taken from the input too.
 *
 * Checks: a failure says why; every command sent is one JSON line with
 * "execute" and the next id; once the connection is gone it stays gone
 * and nothing more is sent or read; the skipped count never goes down and
 * the events counted by name are among those skipped; hmp text is a C
 * string; getfd passes its fd.
 *
 * Input: u8 chunk (bytes per read; 0: all that is asked for), u8 quiet_at
 * (n > 0: the n-th read times out), u8 end (what reads do once the input
 * is used up: 0 time out, 1 end of stream, 2 fail), u8 nops, nops request
 * codes (see run_op), then the bytes QEMU sends (tests/fuzz/qmp_seeds.py
 * records a real QEMU answering the seeds' requests). */
#include "tests/fuzz/fuzz_input.h"

#include <errno.h>

#include <json-c/json.h>

#include "common/err.h"
#include "translate/qmp_client.h"

#define MAX_OPS 32
#define GETFD_FD 1000 /* any number: the fake only checks it arrives */

struct conv {
	struct fin in;
	unsigned chunk, quiet_at, end, reads;
	long long sends;
	int fd;
	bool closed;
};

static int conv_send(void *ctx, const char *buf, size_t len, int fd)
{
	struct conv *c = ctx;
	FUZZ_CHECK(!c->closed, "send after close");
	c->sends++;
	c->fd = fd;
	FUZZ_CHECK(len > 0 && buf[len - 1] == '\n' &&
			   !memchr(buf, '\n', len - 1),
		   "command not one line: %.*s", (int)len, buf);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *cmd = json_tokener_parse_ex(tok, buf, (int)len), *v;
	json_tokener_free(tok);
	FUZZ_CHECK(cmd && json_object_object_get_ex(cmd, "execute", NULL) &&
			   json_object_object_get_ex(cmd, "id", &v) &&
			   json_object_get_int64(v) == c->sends,
		   "command %lld: %.*s", c->sends, (int)len, buf);
	json_object_put(cmd);
	return 0;
}

static ssize_t conv_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct conv *c = ctx;
	FUZZ_CHECK(!c->closed, "read after close");
	FUZZ_CHECK(len > 0 && timeout_ms > 0, "recv of %zu, timeout %d", len,
		   timeout_ms);
	if (++c->reads == c->quiet_at)
		return QMP_IO_TIMEOUT;
	if (!c->in.left) {
		if (c->end % 3 == 1)
			return 0;
		if (c->end % 3 == 2) {
			errno = ECONNRESET;
			return -1;
		}
		return QMP_IO_TIMEOUT;
	}
	size_t want = c->chunk && c->chunk < len ? c->chunk : len, got;
	const uint8_t *p = fin_take(&c->in, want, &got);
	memcpy(buf, p, got);
	return (ssize_t)got;
}

static void conv_close(void *ctx)
{
	struct conv *c = ctx;
	FUZZ_CHECK(!c->closed, "closed twice");
	c->closed = true;
}

/* Request code op: 0 query-status, 1 hmp "info mtree -f", 2 getfd,
 * 3 stop, 4 cont, 5 hmp "gpa2hva 0x100000", 6 query-cpus-fast,
 * 7 an execute with arguments. */
static int run_op(struct qmp_client *q, struct conv *c, unsigned op,
		  char *err)
{
	static const char *const plain[] = { "query-status", NULL, NULL,
					     "stop", "cont", NULL,
					     "query-cpus-fast" };
	struct json_object *ret = NULL;
	char *text = NULL;
	int rc;
	switch (op % 8) {
	case 1:
	case 5:
		rc = qmp_client_hmp(q, op % 8 == 1 ? "info mtree -f"
						   : "gpa2hva 0x100000",
				    &text, 0, err);
		FUZZ_CHECK(!rc == !!text, "hmp rc %d, text %p", rc,
			   (void *)text);
		if (text)
			(void)strlen(text); /* a C string, for ASan */
		free(text);
		return rc;
	case 2:
		c->fd = -5;
		rc = qmp_client_getfd(q, "fuzz", GETFD_FD, err);
		FUZZ_CHECK(c->fd == GETFD_FD || c->fd == -5, "fd %d", c->fd);
		return rc;
	case 7: {
		struct json_object *args = json_object_new_object();
		json_object_object_add(args, "command-line",
				       json_object_new_string("info status"));
		rc = qmp_client_execute(q, "human-monitor-command", args, &ret,
					0, err);
		break;
	}
	default:
		rc = qmp_client_execute(q, plain[op % 8], NULL, &ret, 0, err);
	}
	FUZZ_CHECK(rc == 0 || !ret, "a failure returned a value");
	if (ret)
		(void)json_object_to_json_string(ret); /* walk it, for ASan */
	json_object_put(ret);
	return rc;
}

static void check_err(int rc, const char *err)
{
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc)
		FUZZ_CHECK(memchr(err, '\0', ERR_LEN) && err[0],
			   "failed without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conv c;
	memset(&c, 0, sizeof(c));
	fin_init(&c.in, data, size);
	c.chunk = fin_u8(&c.in);
	c.quiet_at = fin_u8(&c.in);
	c.end = fin_u8(&c.in);
	unsigned nops = fin_u8(&c.in) % (MAX_OPS + 1);
	uint8_t ops[MAX_OPS];
	for (unsigned i = 0; i < nops; i++)
		ops[i] = fin_u8(&c.in);

	struct qmp_io io = { &c, "fuzz.sock", conv_send, conv_recv,
			     conv_close };
	char err[ERR_LEN];
	memset(err, 0x55, sizeof(err));
	err[0] = '\0';
	struct qmp_client *q = qmp_client_open(&io, err);
	if (!q) {
		check_err(-1, err);
		FUZZ_CHECK(c.closed, "a failed open left the io open");
		return 0;
	}
	unsigned long skipped = 0;
	for (unsigned i = 0; i < nops; i++) {
		bool was = qmp_client_connected(q);
		long long sends = c.sends;
		unsigned reads = c.reads;
		memset(err, 0x55, sizeof(err));
		err[0] = '\0';
		int rc = run_op(q, &c, ops[i], err);
		check_err(rc, err);
		FUZZ_CHECK(qmp_client_connected(q) == !c.closed,
			   "connected %d, io closed %d",
			   qmp_client_connected(q), c.closed);
		if (!was)
			FUZZ_CHECK(rc && sends == c.sends && reads == c.reads,
				   "a request after the connection was gone");
		unsigned long now = qmp_client_events_skipped(q);
		FUZZ_CHECK(now >= skipped, "skipped %lu, then %lu", skipped,
			   now);
		skipped = now;
		unsigned long named = qmp_client_event_count(q, "STOP") +
				      qmp_client_event_count(q, "RESUME");
		FUZZ_CHECK(named <= skipped, "%lu events named, %lu skipped",
			   named, skipped);
	}
	qmp_client_close(q);
	FUZZ_CHECK(c.closed, "close left the io open");
	return 0;
}
