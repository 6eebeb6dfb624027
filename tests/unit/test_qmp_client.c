/* Unit tests for translate/qmp_client.c: the client against scripts of
 * what QEMU 7.2 sends (its greeting, replies and events, byte for byte as
 * recorded from a real QEMU), cut into reads in every way a socket may cut
 * them, and against hostile streams; then translate/qmp_socket.c over a
 * real unix socket (SCM_RIGHTS, timeouts, a peer that hangs up). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/err.h"
#include "translate/qmp_client.h"
#include "translate/qmp_socket.h"

/* One step of a conversation. */
enum kind {
	QEMU_SAYS,     /* text, handed over by as many reads as it takes */
	QEMU_QUIET,    /* a read times out */
	QEMU_HANGS_UP, /* a read sees the end of the stream */
	READ_FAILS,    /* a read fails (ECONNRESET) */
	LKSTUB_SENDS,  /* lkstub sends a command holding text */
	SEND_FAILS,    /* ... and the send fails (EPIPE) */
};

struct step {
	enum kind kind;
	const char *text;
	size_t len; /* 0: strlen(text) */
};

#define SAYS(s) { QEMU_SAYS, s, 0 }
#define QUIET { QEMU_QUIET, NULL, 0 }
#define HANGS_UP { QEMU_HANGS_UP, NULL, 0 }
#define SENDS(s) { LKSTUB_SENDS, s, 0 }

struct script {
	const struct step *steps;
	size_t n, at, pos;
	size_t chunk; /* at most this many bytes a read; 0: no limit */
	int fd;       /* the last fd sent along */
	unsigned closes;
	bool sent[32]; /* LKSTUB_SENDS steps done ahead of QEMU's bytes */
};

/* QEMU 7.2's greeting and answer to qmp_capabilities (lkstub's id 1). */
#define GREETING                                                            \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "    \
	"\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, "     \
	"\"capabilities\": [\"oob\"]}}\r\n"
#define HANDSHAKE                                                           \
	SAYS(GREETING), SENDS("{\"execute\":\"qmp_capabilities\",\"id\":1}"), \
		SAYS("{\"return\": {}, \"id\": 1}\r\n")
#define STOP                                                                \
	"{\"timestamp\": {\"seconds\": 1733140000, \"microseconds\": 5}, "    \
	"\"event\": \"STOP\"}\r\n"
#define RESUME                                                              \
	"{\"timestamp\": {\"seconds\": 1733140001, \"microseconds\": "        \
	"271828}, \"event\": \"RESUME\"}\r\n"
#define STATUS_2                                                            \
	"{\"return\": {\"status\": \"paused\", \"singlestep\": false, "       \
	"\"running\": false}, \"id\": 2}\r\n"

static size_t step_len(const struct step *st)
{
	return st->len ? st->len : strlen(st->text);
}

static bool is_send(const struct step *st)
{
	return st->kind == LKSTUB_SENDS || st->kind == SEND_FAILS;
}

/* Past the sends done while QEMU's bytes before them were still unread. */
static void skip_sent(struct script *s)
{
	while (s->at < s->n && s->sent[s->at])
		s->at++;
}

/* A send may overtake bytes QEMU said before it (lkstub need not read
 * them first: they wait in the socket), never a timeout or hang-up. */
static int fake_send(void *ctx, const char *buf, size_t len, int fd)
{
	struct script *s = ctx;
	size_t i = s->at;
	while (i < s->n && (s->sent[i] || s->steps[i].kind == QEMU_SAYS))
		i++;
	if (i == s->n || !is_send(&s->steps[i]))
		fail_msg("step %zu: lkstub sends %.*s", i, (int)len, buf);
	assert_true(i < sizeof(s->sent));
	s->sent[i] = true;
	skip_sent(s);
	const struct step *st = &s->steps[i];
	assert_true(len && buf[len - 1] == '\n' &&
		    !memchr(buf, '\n', len - 1));
	if (!memmem(buf, len, st->text, strlen(st->text)))
		fail_msg("step %zu: lkstub sends %.*s, not %s", i,
			 (int)len - 1, buf, st->text);
	s->fd = fd;
	if (st->kind == SEND_FAILS) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static ssize_t fake_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct script *s = ctx;
	assert_true(len > 0 && timeout_ms > 0);
	skip_sent(s);
	if (s->at == s->n || is_send(&s->steps[s->at]))
		fail_msg("step %zu: lkstub waits for QEMU", s->at);
	const struct step *st = &s->steps[s->at];
	switch (st->kind) {
	case QEMU_QUIET:
		s->at++;
		return QMP_IO_TIMEOUT;
	case QEMU_HANGS_UP:
		s->at++;
		return 0;
	case READ_FAILS:
		s->at++;
		errno = ECONNRESET;
		return -1;
	default:
		break;
	}
	size_t n = step_len(st) - s->pos;
	if (n > len)
		n = len;
	if (s->chunk && n > s->chunk)
		n = s->chunk;
	memcpy(buf, st->text + s->pos, n);
	s->pos += n;
	if (s->pos == step_len(st)) {
		s->at++;
		s->pos = 0;
		skip_sent(s);
	}
	return (ssize_t)n;
}

static void fake_close(void *ctx)
{
	struct script *s = ctx;
	s->closes++;
}

static struct qmp_client *start(struct script *s, const struct step *steps,
				size_t n, size_t chunk, char *err)
{
	*s = (struct script){ .steps = steps, .n = n, .chunk = chunk,
			      .fd = -2 };
	struct qmp_io io = { s, "qmp.sock", fake_send, fake_recv,
			     fake_close };
	err[0] = '\0';
	return qmp_client_open(&io, err);
}

/* The script played to its end (but for the line end after the last
 * reply, which lkstub has no reason to wait for); the client closes its
 * io once. */
static void finish(struct script *s, struct qmp_client *q)
{
	if (s->at == s->n - 1 && s->steps[s->at].kind == QEMU_SAYS &&
	    s->pos > 0 && !strcmp(s->steps[s->at].text + s->pos, "\r\n"))
		s->at++;
	if (s->at != s->n)
		fail_msg("the script stopped at step %zu of %zu", s->at, s->n);
	qmp_client_close(q);
	assert_int_equal(s->closes, 1);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect_err(int rc, const char *err, const char *want)
{
	assert_int_equal(rc, -1);
	if (!strstr(err, want))
		fail_msg("\"%s\" lacks \"%s\"", err, want);
}

/* query-status; its "status" is want. */
static void status_is(struct qmp_client *q, const char *want)
{
	char err[ERR_LEN];
	struct json_object *ret, *v;
	if (qmp_client_execute(q, "query-status", NULL, &ret, 0, err))
		fail_msg("query-status: %s", err);
	assert_true(json_object_object_get_ex(ret, "status", &v));
	assert_string_equal(json_object_get_string(v), want);
	json_object_put(ret);
}

/* Events before the capabilities reply, before and between replies: all
 * set aside, counted by name; the same whole, a byte a read, and in
 * reads of 7. */
static void events_interleaved(void **state)
{
	(void)state;
	static const struct step steps[] = {
		SAYS(GREETING),
		SENDS("\"qmp_capabilities\""),
		SAYS(RESUME "{\"return\": {}, \"id\": 1}\r\n"),
		SENDS("{\"execute\":\"query-status\",\"id\":2}"),
		SAYS(STOP),
		SAYS(RESUME),
		SAYS(STOP STATUS_2),
		SENDS("{\"execute\":\"query-status\",\"id\":3}"),
		SAYS("{\"return\": {\"status\": \"running\", \"singlestep\": "
		     "false, \"running\": true}, \"id\": 3}\r\n"),
		SAYS(RESUME),
	};
	static const size_t chunks[] = { 0, 1, 7 };
	for (size_t c = 0; c < N(chunks); c++) {
		struct script s;
		char err[ERR_LEN];
		struct qmp_client *q = start(&s, steps, N(steps), chunks[c],
					     err);
		if (!q)
			fail_msg("open: %s", err);
		assert_true(qmp_client_connected(q));
		status_is(q, "paused");
		status_is(q, "running");
		assert_int_equal(qmp_client_events_skipped(q), 4);
		assert_int_equal(qmp_client_event_count(q, "STOP"), 2);
		assert_int_equal(qmp_client_event_count(q, "RESUME"), 2);
		assert_int_equal(qmp_client_event_count(q, "SHUTDOWN"), 0);
		/* The RESUME after the last reply is not read yet. */
		assert_true(s.at < s.n);
		s.at = s.n;
		finish(&s, q);
	}
}

/* The greeting, the capabilities reply and two events in one read. */
static void several_in_one_read(void **state)
{
	(void)state;
	static const struct step steps[] = {
		SAYS(GREETING "{\"return\": {}, \"id\": 1}\r\n" STOP STOP),
		SENDS("\"qmp_capabilities\""),
		SENDS("\"query-status\""),
		SAYS(STATUS_2 RESUME),
	};
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	/* Both STOPs were read with the reply, and kept for later. */
	status_is(q, "paused");
	assert_int_equal(qmp_client_event_count(q, "STOP"), 2);
	finish(&s, q);
}

/* An HMP reply cut inside a \u escape, a two-byte and a three-byte
 * UTF-8 character and a \n escape; json-c puts them together again. */
static void split_characters(void **state)
{
	(void)state;
	static const struct step steps[] = {
		HANDSHAKE,
		SENDS("{\"execute\":\"human-monitor-command\",\"arguments\":"
		      "{\"command-line\":\"info name\"},\"id\":2}"),
		SAYS("{\"return\": \"caf\\u00"),
		SAYS("e9 caf\xc3"),
		SAYS("\xa9 \\"),
		SAYS("r\\n\xe2\x82"),
		SAYS("\xac \\\"\\ud83d"),
		SAYS("\\ude00\\\"\\r\\n\", \"id\": 2}\r\n"),
	};
	struct script s;
	char err[ERR_LEN], *text;
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	if (qmp_client_hmp(q, "info name", &text, 0, err))
		fail_msg("hmp: %s", err);
	assert_string_equal(text, "caf\xc3\xa9 caf\xc3\xa9 \r\n\xe2\x82\xac "
				  "\"\xf0\x9f\x98\x80\"\r\n");
	free(text);
	finish(&s, q);
}

/* Lines that are not JSON fail the request waiting for a reply, and only
 * it: the rest of the line is skipped, the stream stays in step, the
 * request's own late reply is set aside. */
#define NUL_LINE "{\"return\": \"\0\", \"id\": 4}\r\n"
static void garbage_lines(void **state)
{
	(void)state;
	static const struct step steps[] = {
		HANDSHAKE,
		SENDS("\"id\":2"),
		SAYS("qemu-system-x86_64: warning: host doesn't support "
		     "requested feature\r\n"),
		SENDS("\"id\":3"),
		SAYS("{\"return\": {}, oops}\r\n"),
		SENDS("\"id\":4"),
		{ QEMU_SAYS, NUL_LINE, sizeof(NUL_LINE) - 1 },
		SENDS("\"id\":5"),
		SAYS("null\r\n"),
		SENDS("\"id\":6"),
		SAYS("[1, 2]\r\n"),
		SENDS("\"id\":7"),
		SAYS("{\"return\": {}, \"id\": 2}\r\n{\"return\": {}, \"id\": 3}"
		     "\r\n{\"return\": {}, \"id\": 4}\r\n{\"return\": {}, "
		     "\"id\": 5}\r\n{\"return\": {}, \"id\": 6}\r\n"
		     "\r\n  \r\n" STATUS_2),
		SAYS("{\"return\": {\"status\": \"running\"}, \"id\": 7}\r\n"),
	};
	static const char *const want[] = {
		"QMP qmp.sock: query-status: a reply that is not JSON",
		"QMP qmp.sock: query-status: a reply that is not JSON",
		"QMP qmp.sock: query-status: a reply that is not JSON",
		"QMP qmp.sock: query-status: a reply that is not a JSON object",
		"QMP qmp.sock: query-status: a reply that is not a JSON object",
	};
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	for (size_t i = 0; i < N(want); i++) {
		struct json_object *ret = (void *)1;
		expect_err(qmp_client_execute(q, "query-status", NULL, &ret, 0,
					      err),
			   err, want[i]);
		assert_null(ret);
		assert_true(qmp_client_connected(q));
	}
	status_is(q, "running");
	/* The late replies 2 to 6 and the stray STATUS_2. */
	assert_int_equal(qmp_client_events_skipped(q), 6);
	finish(&s, q);
}

/* A reply for another id (a request that timed out long ago) is set
 * aside; the one with the request's id is the answer. */
static void wrong_id_then_right(void **state)
{
	(void)state;
	static const struct step steps[] = {
		HANDSHAKE,
		SENDS("\"id\":2"),
		SAYS("{\"return\": {\"status\": \"running\"}, \"id\": 1}\r\n"),
		SAYS("{\"return\": {\"status\": \"debug\"}, \"id\": \"2\"}\r\n"),
		SAYS("{\"return\": {\"status\": \"debug\"}, \"id\": 2.5}\r\n"),
		SAYS("{\"error\": {\"class\": \"GenericError\", \"desc\": "
		     "\"x\"}, \"id\": 12}\r\n"),
		SAYS("{\"no\": \"qmp\"}\r\n" STATUS_2),
	};
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	status_is(q, "paused");
	assert_int_equal(qmp_client_events_skipped(q), 5);
	finish(&s, q);
}

static void error_replies(void **state)
{
	(void)state;
	static const struct step steps[] = {
		HANDSHAKE,
		SENDS("{\"execute\":\"no-such\",\"id\":2}"),
		SAYS("{\"id\": 2, \"error\": {\"class\": \"CommandNotFound\", "
		     "\"desc\": \"The command no-such has not been found\"}}"
		     "\r\n"),
		/* QEMU answers a request it could not read without an id. */
		SENDS("{\"execute\":\"getfd\",\"arguments\":{\"fdname\":"
		      "\"vm/ram\"},\"id\":3}"),
		SAYS("{\"error\": {\"class\": \"GenericError\", \"desc\": "
		     "\"No file descriptor supplied via SCM_RIGHTS\"}}\r\n"),
		SENDS("\"id\":4"),
		SAYS("{\"error\": 7, \"id\": 4}\r\n"),
		SENDS("\"id\":5"),
		SAYS("{\"return\": {}, \"id\": 5}\r\n"),
	};
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	expect_err(qmp_client_execute(q, "no-such", NULL, NULL, 0, err), err,
		   "QMP no-such: CommandNotFound: The command no-such has not "
		   "been found");
	expect_err(qmp_client_getfd(q, "vm/ram", 0, err), err,
		   "QMP getfd: GenericError: No file descriptor supplied");
	assert_int_equal(s.fd, 0);
	expect_err(qmp_client_execute(q, "query-kvm", NULL, NULL, 0, err), err,
		   "QMP query-kvm: ?: ?");
	/* The connection is fine; a reply of {} is no text. */
	char *text = (char *)1;
	expect_err(qmp_client_hmp(q, "info status", &text, 0, err), err,
		   "no text in the reply");
	assert_null(text);
	assert_true(qmp_client_connected(q));
	expect_err(qmp_client_getfd(q, "x", -1, err), err, "no fd");
	finish(&s, q);
}

/* A request that times out fails alone; its late reply is set aside when
 * the next request reads on. */
static void timeout_then_late_reply(void **state)
{
	(void)state;
	static const struct step steps[] = {
		HANDSHAKE,
		SENDS("\"id\":2"),
		SAYS("{\"return\": {\"status\": \"pa"),
		QUIET,
		SENDS("\"id\":3"),
		SAYS("used\"}, \"id\": 2}\r\n{\"return\": {\"status\": "
		     "\"running\"}, \"id\": 3}\r\n"),
	};
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 1, err);
	if (!q)
		fail_msg("open: %s", err);
	expect_err(qmp_client_execute(q, "query-status", NULL, NULL, 250, err),
		   err, "QMP qmp.sock: query-status: no reply within 250 ms");
	assert_true(qmp_client_connected(q));
	status_is(q, "running");
	assert_int_equal(qmp_client_events_skipped(q), 1);
	finish(&s, q);
}

/* The end of the stream inside a reply, a failed read, a failed send:
 * the connection is gone, and every later call says so at once without
 * touching the io again. */
static void connection_lost(void **state)
{
	(void)state;
	static const struct step eof[] = {
		HANDSHAKE, SENDS("\"id\":2"),
		SAYS("{\"return\": {\"status\": \"pau"), HANGS_UP,
	};
	static const struct step rst[] = {
		HANDSHAKE, SENDS("\"id\":2"), { READ_FAILS, NULL, 0 },
	};
	static const struct step pipe[] = {
		HANDSHAKE, { SEND_FAILS, "\"id\":2", 0 },
	};
	static const struct {
		const struct step *steps;
		size_t n;
		const char *want;
	} cases[] = {
		{ eof, N(eof), "QMP qmp.sock: query-status: connection closed "
			       "by QEMU" },
		{ rst, N(rst), "QMP qmp.sock: query-status: read: Connection "
			       "reset by peer" },
		{ pipe, N(pipe), "QMP qmp.sock: query-status: write: Broken "
				 "pipe" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct script s;
		char err[ERR_LEN];
		struct qmp_client *q = start(&s, cases[i].steps, cases[i].n, 0,
					     err);
		if (!q)
			fail_msg("open: %s", err);
		expect_err(qmp_client_execute(q, "query-status", NULL, NULL, 0,
					      err),
			   err, cases[i].want);
		assert_false(qmp_client_connected(q));
		assert_int_equal(s.closes, 1); /* the socket goes at once */
		char *text;
		expect_err(qmp_client_hmp(q, "info status", &text, 0, err),
			   err, "human-monitor-command \"info status\" not "
				"sent: the connection is gone");
		expect_err(qmp_client_getfd(q, "f", 0, err), err,
			   cases[i].want + strlen("QMP qmp.sock: "));
		finish(&s, q);
	}
}

/* The greeting: missing, something else, or never coming (QEMU 7.2 keeps
 * a second client waiting in silence). */
static void bad_greetings(void **state)
{
	(void)state;
	static const struct step silent[] = { QUIET };
	static const struct step other[] = { SAYS(STATUS_2) };
	static const struct step junk[] = { SAYS("SSH-2.0-OpenSSH_9.2\r\n") };
	static const struct step gone[] = { SAYS("{\"QMP\""), HANGS_UP };
	static const struct step refused[] = {
		SAYS(GREETING), SENDS("\"qmp_capabilities\""),
		SAYS("{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", "
		     "\"desc\": \"Capabilities negotiation is already "
		     "complete, command ignored\"}}\r\n"),
	};
	static const struct {
		const struct step *steps;
		size_t n;
		const char *want;
	} cases[] = {
		{ silent, 1, "QMP qmp.sock: no greeting within 5 s (QEMU "
			     "serves one QMP client at a time" },
		{ other, 1, "QMP qmp.sock: no QMP greeting" },
		{ junk, 1, "QMP qmp.sock: greeting: a reply that is not JSON" },
		{ gone, 2, "QMP qmp.sock: greeting: connection closed by QEMU" },
		{ refused, N(refused), "QMP qmp_capabilities: CommandNotFound: "
				       "Capabilities negotiation" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct script s;
		char err[ERR_LEN];
		assert_null(start(&s, cases[i].steps, cases[i].n, 0, err));
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
				 cases[i].want);
		assert_int_equal(s.at, s.n);
		assert_int_equal(s.closes, 1);
	}
}

/* A reply of just under 4 MiB (`info mtree -f` of a big machine) is
 * read; one over 4 MiB drops the connection (there is no telling where
 * the next message starts in a stream that big). */
static void long_replies(void **state)
{
	(void)state;
	static const size_t sizes[] = { (4u << 20) - 64, (5u << 20) };
	for (size_t i = 0; i < 2; i++) {
		size_t n = sizes[i];
		char *big = malloc(n + 64);
		assert_non_null(big);
		int head = snprintf(big, 64, "{\"return\": \"");
		memset(big + head, 'a', n - (size_t)head);
		int tail = snprintf(big + n, 64, "\", \"id\": 2}\r\n");
		const struct step steps[] = {
			HANDSHAKE, SENDS("\"id\":2"),
			{ QEMU_SAYS, big, n + (size_t)tail },
		};
		struct script s;
		char err[ERR_LEN], *text = NULL;
		struct qmp_client *q = start(&s, steps, N(steps), 0, err);
		if (!q)
			fail_msg("open: %s", err);
		int rc = qmp_client_hmp(q, "info mtree -f", &text, 0, err);
		if (i == 0) {
			if (rc)
				fail_msg("hmp: %s", err);
			assert_int_equal(strlen(text), n - (size_t)head);
			free(text);
			finish(&s, q);
		} else {
			expect_err(rc, err, "a message longer than 4 MiB");
			assert_false(qmp_client_connected(q));
			s.at = s.n; /* the rest is never read */
			finish(&s, q);
		}
		free(big);
	}
}

/* Nesting deeper than the client allows is an error for the request; the
 * rest of the line is skipped and the stream goes on. */
static void deep_nesting(void **state)
{
	(void)state;
	char deep[4096];
	size_t len = (size_t)snprintf(deep, sizeof(deep), "{\"return\": ");
	for (int i = 0; i < 1000; i++)
		deep[len++] = '[';
	len += (size_t)snprintf(deep + len, sizeof(deep) - len,
				"\r\n{\"return\": {}, \"id\": 3}\r\n");
	const struct step steps[] = {
		HANDSHAKE, SENDS("\"id\":2"), { QEMU_SAYS, deep, len },
		SENDS("\"id\":3"),
	};
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	expect_err(qmp_client_execute(q, "query-status", NULL, NULL, 0, err),
		   err, "not JSON (nesting too deep)");
	struct json_object *ret;
	if (qmp_client_execute(q, "query-name", NULL, &ret, 0, err))
		fail_msg("query-name: %s", err);
	assert_true(json_object_is_type(ret, json_type_object));
	json_object_put(ret);
	finish(&s, q);
}

/* Arguments go out as JSON (escaped); a "return" of null is a NULL. */
static void arguments_and_null(void **state)
{
	(void)state;
	static const struct step steps[] = {
		HANDSHAKE,
		SENDS("{\"execute\":\"human-monitor-command\",\"arguments\":{"
		      "\"command-line\":\"echo \\\"a/b\\\"\\n\"},\"id\":2}"),
		SAYS("{\"return\": \"\", \"id\": 2}\r\n"),
		SENDS("{\"execute\":\"x-null\",\"arguments\":{\"n\":1},"
		      "\"id\":3}"),
		SAYS("{\"return\": null, \"id\": 3}\r\n"),
	};
	struct script s;
	char err[ERR_LEN], *text;
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	if (qmp_client_hmp(q, "echo \"a/b\"\n", &text, 0, err))
		fail_msg("hmp: %s", err);
	assert_string_equal(text, "");
	free(text);
	struct json_object *args = json_object_new_object(), *ret = NULL;
	json_object_object_add(args, "n", json_object_new_int(1));
	if (qmp_client_execute(q, "x-null", args, &ret, 0, err))
		fail_msg("x-null: %s", err);
	assert_null(ret);
	finish(&s, q);
}

/* More event names than the table holds: the first ones keep counting,
 * later names are only counted as skipped. */
static void many_event_names(void **state)
{
	(void)state;
	char events[8192];
	size_t len = 0;
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(events + len, sizeof(events) - len,
					"{\"event\": \"EV%d\"}\r\n", i % 20);
	snprintf(events + len, sizeof(events) - len,
		 "{\"event\": \"%060d\"}\r\n{\"event\": 5}\r\n"
		 "{\"event\": \"\"}\r\n" STATUS_2, 0);
	const struct step steps[] = { HANDSHAKE, SENDS("\"id\":2"),
				      SAYS(events) };
	struct script s;
	char err[ERR_LEN];
	struct qmp_client *q = start(&s, steps, N(steps), 0, err);
	if (!q)
		fail_msg("open: %s", err);
	status_is(q, "paused");
	assert_int_equal(qmp_client_events_skipped(q), 43);
	assert_int_equal(qmp_client_event_count(q, "EV0"), 2);
	assert_int_equal(qmp_client_event_count(q, "EV15"), 2);
	assert_int_equal(qmp_client_event_count(q, "EV16"), 0);
	assert_int_equal(qmp_client_event_count(q, ""), 0);
	finish(&s, q);
}

/* translate/qmp_socket.c: a real socket, QEMU's side played here. */
static void real_socket(void **state)
{
	(void)state;
	char dir[] = "/tmp/qmp-test.XXXXXX", path[64], err[ERR_LEN];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int lsn = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lsn >= 0);
	assert_int_equal(bind(lsn, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lsn, 1), 0);

	struct qmp_io io;
	if (qmp_socket_open(path, &io, err))
		fail_msg("%s", err);
	/* The io's ctx starts with its fd. */
	assert_true(fcntl(*(int *)io.ctx, F_GETFD) & FD_CLOEXEC);
	int qemu = accept(lsn, NULL, NULL);
	assert_true(qemu >= 0);
	/* Everything QEMU will say, said before it is asked. */
	static const char said[] = GREETING "{\"return\": {}, \"id\": 1}\r\n"
		STOP "{\"return\": {}, \"id\": 2}\r\n";
	assert_int_equal(write(qemu, said, strlen(said)), strlen(said));
	struct qmp_client *q = qmp_client_open(&io, err);
	if (!q)
		fail_msg("open: %s", err);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	if (qmp_client_getfd(q, "ram", pfd[1], err))
		fail_msg("getfd: %s", err);
	assert_int_equal(qmp_client_event_count(q, "STOP"), 1);

	/* What lkstub sent, with the fd passed along the getfd line. */
	char got[512] = "";
	size_t len = 0;
	int passed = -1;
	while (!strstr(got, "getfd")) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = { got + len, sizeof(got) - 1 - len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = control.buf,
				     .msg_controllen = sizeof(control.buf) };
		ssize_t n = recvmsg(qemu, &mh, 0);
		assert_true(n > 0);
		len += (size_t)n;
		got[len] = '\0';
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&passed, CMSG_DATA(cm), sizeof(int));
	}
	assert_string_equal(got,
			    "{\"execute\":\"qmp_capabilities\",\"id\":1}\n"
			    "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":"
			    "\"ram\"},\"id\":2}\n");
	assert_true(passed >= 0);
	assert_int_equal(write(passed, "x", 1), 1);
	char x = 0;
	assert_int_equal(read(pfd[0], &x, 1), 1);
	assert_int_equal(x, 'x');
	close(passed);
	close(pfd[0]);
	close(pfd[1]);

	/* QEMU silent: a timeout, the connection kept; then gone. */
	expect_err(qmp_client_execute(q, "query-status", NULL, NULL, 50, err),
		   err, "no reply within 50 ms");
	assert_true(qmp_client_connected(q));
	shutdown(qemu, SHUT_WR); /* still reading: lkstub's send works */
	expect_err(qmp_client_execute(q, "query-status", NULL, NULL, 0, err),
		   err, "connection closed by QEMU");
	assert_false(qmp_client_connected(q));
	qmp_client_close(q);
	close(qemu);

	/* Nobody listening, a path too long for a unix socket. */
	close(lsn);
	unlink(path);
	assert_null(qmp_client_connect(path, err));
	if (!strstr(err, "No such file") && !strstr(err, "refused"))
		fail_msg("%s", err);
	char lng[200];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_null(qmp_client_connect(lng, err));
	assert_non_null(strstr(err, "path too long"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(events_interleaved),
		cmocka_unit_test(several_in_one_read),
		cmocka_unit_test(split_characters),
		cmocka_unit_test(garbage_lines),
		cmocka_unit_test(wrong_id_then_right),
		cmocka_unit_test(error_replies),
		cmocka_unit_test(timeout_then_late_reply),
		cmocka_unit_test(connection_lost),
		cmocka_unit_test(bad_greetings),
		cmocka_unit_test(long_replies),
		cmocka_unit_test(deep_nesting),
		cmocka_unit_test(arguments_and_null),
		cmocka_unit_test(many_event_names),
		cmocka_unit_test(real_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
