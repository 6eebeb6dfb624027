/* The QMP client: one json_tokener over the byte stream, requests tagged
 * with a counter as "id", everything that is not the awaited reply set
 * aside and counted. Whatever QEMU sends is hostile: a message is at most
 * QMP_MSG_MAX bytes and QMP_DEPTH_MAX deep, a line that is not JSON fails
 * the request waiting for it and is skipped, a reply that does not come
 * in time fails its request alone. */
#include "translate/qmp_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/clock.h"
#include "common/err.h"
#include "translate/qmp_socket.h"

#define QMP_MSG_MAX (4u << 20) /* `info mtree -f` of a big machine fits */
#define QMP_DEPTH_MAX 64
#define QMP_CHUNK 65536
/* QEMU 7.2 greets one client at a time: a second one waits in silence. */
#define QMP_CONNECT_TIMEOUT_MS 5000
#define QMP_EVENT_NAMES 16
#define QMP_TIMED_OUT (-2)

struct qmp_event_count {
	char name[48];
	unsigned long n;
};

struct qmp_client {
	struct qmp_io io;
	char name[128]; /* io.name points here */
	bool connected, io_closed;
	char lost[ERR_LEN]; /* why the connection is gone */
	int64_t next_id;
	struct json_tokener *tok;
	size_t msg_bytes; /* fed to tok for the message in progress */
	bool skipping;    /* in a line that is not JSON: up to its \n */
	char in[QMP_CHUNK];
	size_t in_pos, in_len; /* in[in_pos, in_len) is not parsed yet */
	unsigned long skipped;
	struct qmp_event_count events[QMP_EVENT_NAMES];
};

static void close_io(struct qmp_client *q)
{
	if (!q->io_closed && q->io.close)
		q->io.close(q->io.ctx);
	q->io_closed = true;
}

/* The stream is unusable from here on: say why, now and at every call. */
__attribute__((format(printf, 3, 4)))
static int lose(struct qmp_client *q, char *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q->lost, sizeof(q->lost), fmt, ap);
	va_end(ap);
	q->connected = false;
	close_io(q);
	return set_err(err, "QMP %s: %s", q->name, q->lost);
}

static int64_t now_ms(void)
{
	return (int64_t)(clock_now_ns() / NS_PER_MS);
}

/* The next JSON value QEMU sends (the caller's to put), or -1 (a line that
 * is not JSON: the stream stays in step; the connection lost:
 * q->connected false) or QMP_TIMED_OUT, with err set. */
static int next_value(struct qmp_client *q, int64_t deadline,
		      const char *what, struct json_object **out, char *err)
{
	for (;;) {
		while (q->in_pos < q->in_len) {
			const char *p = q->in + q->in_pos;
			size_t n = q->in_len - q->in_pos;
			if (q->skipping) {
				const char *nl = memchr(p, '\n', n);
				q->in_pos += nl ? (size_t)(nl + 1 - p) : n;
				q->skipping = !nl;
				continue;
			}
			struct json_object *v =
				json_tokener_parse_ex(q->tok, p, (int)n);
			enum json_tokener_error e =
				json_tokener_get_error(q->tok);
			size_t used = e == json_tokener_continue
					      ? n
					      : json_tokener_get_parse_end(q->tok);
			if (used > n)
				used = n;
			q->in_pos += used;
			q->msg_bytes += used;
			if (q->msg_bytes > QMP_MSG_MAX) {
				json_object_put(v);
				return lose(q, err, "%s: a message longer than "
					    "%u MiB", what, QMP_MSG_MAX >> 20);
			}
			if (e == json_tokener_continue)
				continue;
			json_tokener_reset(q->tok);
			q->msg_bytes = 0;
			if (v) {
				*out = v;
				return 0;
			}
			if (e == json_tokener_success) /* JSON null */
				return set_err(err, "QMP %s: %s: a reply that "
					       "is not a JSON object", q->name,
					       what);
			/* The rest of the line goes with it (from the bad
			 * byte on: it may be the \n). */
			q->skipping = true;
			return set_err(err, "QMP %s: %s: a reply that is not "
				       "JSON (%s)", q->name, what,
				       json_tokener_error_desc(e));
		}
		int64_t left = deadline - now_ms();
		ssize_t got = left <= 0 ? QMP_IO_TIMEOUT
					: q->io.recv(q->io.ctx, q->in,
						     sizeof(q->in), (int)left);
		if (got == QMP_IO_TIMEOUT)
			return QMP_TIMED_OUT;
		if (got == 0)
			return lose(q, err, "%s: connection closed by QEMU",
				    what);
		if (got < 0)
			return lose(q, err, "%s: read: %s", what,
				    strerror(errno));
		if ((size_t)got > sizeof(q->in))
			return lose(q, err, "%s: read: %zd bytes of %zu", what,
				    got, sizeof(q->in));
		q->in_pos = 0;
		q->in_len = (size_t)got;
	}
}

static void count_event(struct qmp_client *q, struct json_object *name)
{
	if (!json_object_is_type(name, json_type_string))
		return;
	const char *s = json_object_get_string(name);
	size_t len = (size_t)json_object_get_string_len(name);
	if (!len || len >= sizeof(q->events[0].name) || memchr(s, '\0', len))
		return;
	for (unsigned i = 0; i < QMP_EVENT_NAMES; i++) {
		struct qmp_event_count *ev = &q->events[i];
		if (!ev->name[0])
			memcpy(ev->name, s, len + 1);
		if (!strcmp(ev->name, s)) {
			ev->n++;
			return;
		}
	}
	/* A full table: the event is only counted as skipped. */
}

/* What value v says about request id: 1 when it is something else (set
 * aside), 0 when it is the reply (*ret, if ret, its "return"), -1 when it
 * is an error reply or no QMP message at all. */
static int classify(struct qmp_client *q, struct json_object *v, int64_t id,
		    const char *what, struct json_object **ret, char *err)
{
	if (!json_object_is_type(v, json_type_object))
		return set_err(err, "QMP %s: %s: a reply that is not a JSON "
			       "object", q->name, what);
	struct json_object *val, *rid, *error = NULL;
	bool is_return = json_object_object_get_ex(v, "return", &val);
	bool is_error = !is_return &&
			json_object_object_get_ex(v, "error", &error);
	if (is_return || is_error) {
		bool has_id = json_object_object_get_ex(v, "id", &rid);
		/* QEMU leaves the id out only when it could not read the
		 * request: then it is ours. */
		bool ours = has_id ? json_object_is_type(rid, json_type_int) &&
					     json_object_get_int64(rid) == id
				   : is_error;
		if (ours && is_return) {
			if (ret)
				*ret = json_object_get(val);
			return 0;
		}
		if (ours) {
			struct json_object *cls, *desc;
			bool c = json_object_object_get_ex(error, "class", &cls);
			bool d = json_object_object_get_ex(error, "desc", &desc);
			return set_err(err, "QMP %s: %s: %s", what,
				       c ? json_object_get_string(cls) : "?",
				       d ? json_object_get_string(desc) : "?");
		}
	} else if (json_object_object_get_ex(v, "event", &val)) {
		count_event(q, val);
	}
	q->skipped++;
	return 1;
}

/* Send cmd (taken over) with the next id, fd attached when >= 0, and wait
 * for its reply; what names the command in messages. */
static int request(struct qmp_client *q, const char *what,
		   struct json_object *cmd, int fd, struct json_object **ret,
		   int timeout_ms, char *err)
{
	if (ret)
		*ret = NULL;
	if (!q->connected) {
		json_object_put(cmd);
		return set_err(err, "QMP %s: %s not sent: the connection is "
			       "gone (%s)", q->name, what, q->lost);
	}
	if (timeout_ms <= 0)
		timeout_ms = QMP_REQUEST_TIMEOUT_MS;
	int64_t id = q->next_id++;
	const char *s = NULL;
	if (cmd && !json_object_object_add(cmd, "id", json_object_new_int64(id)))
		s = json_object_to_json_string_ext(
			cmd, JSON_C_TO_STRING_PLAIN |
				     JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = s ? strlen(s) : 0;
	char *line = s ? malloc(len + 1) : NULL;
	if (!line) {
		json_object_put(cmd);
		return set_err(err, "QMP %s: %s: out of memory", q->name, what);
	}
	memcpy(line, s, len);
	line[len++] = '\n'; /* one message a line, as QEMU writes them */
	json_object_put(cmd);
	int rc = q->io.send(q->io.ctx, line, len, fd);
	int saved = errno;
	free(line);
	if (rc)
		return lose(q, err, "%s: write: %s", what, strerror(saved));
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		struct json_object *v;
		rc = next_value(q, deadline, what, &v, err);
		if (rc == QMP_TIMED_OUT)
			return set_err(err, "QMP %s: %s: no reply within %d ms",
				       q->name, what, timeout_ms);
		if (rc)
			return -1;
		rc = classify(q, v, id, what, ret, err);
		json_object_put(v);
		if (rc <= 0)
			return rc;
	}
}

/* {"execute": name, "arguments": args}; NULL when out of memory. */
static struct json_object *command(const char *name, struct json_object *args)
{
	struct json_object *cmd = json_object_new_object();
	if (!cmd || json_object_object_add(cmd, "execute",
					   json_object_new_string(name)) ||
	    (args && json_object_object_add(cmd, "arguments", args))) {
		json_object_put(cmd);
		json_object_put(args);
		return NULL;
	}
	return cmd;
}

struct qmp_client *qmp_client_open(const struct qmp_io *io, char *err)
{
	struct qmp_client *q = calloc(1, sizeof(*q));
	if (!q) {
		if (io->close)
			io->close(io->ctx);
		set_err(err, "QMP %s: out of memory", io->name);
		return NULL;
	}
	q->io = *io;
	snprintf(q->name, sizeof(q->name), "%s", io->name ? io->name : "?");
	q->io.name = q->name;
	q->connected = true;
	q->next_id = 1;
	q->tok = json_tokener_new_ex(QMP_DEPTH_MAX);
	if (!q->tok) {
		lose(q, err, "out of memory");
		goto fail;
	}
	/* Strict JSON, one value after the other. Not
	 * JSON_TOKENER_VALIDATE_UTF8: json-c 0.16 rejects a character
	 * split between two reads. */
	json_tokener_set_flags(q->tok, JSON_TOKENER_STRICT |
					       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	struct json_object *greeting;
	int rc = next_value(q, now_ms() + QMP_CONNECT_TIMEOUT_MS, "greeting",
			    &greeting, err);
	if (rc == QMP_TIMED_OUT) {
		set_err(err, "QMP %s: no greeting within %d s (QEMU serves one "
			"QMP client at a time: is another one connected?)",
			q->name, QMP_CONNECT_TIMEOUT_MS / 1000);
		goto fail;
	}
	if (rc)
		goto fail;
	bool qmp = json_object_is_type(greeting, json_type_object) &&
		   json_object_object_get_ex(greeting, "QMP", NULL);
	json_object_put(greeting);
	if (!qmp) {
		set_err(err, "QMP %s: no QMP greeting (not QEMU's QMP "
			"socket?)", q->name);
		goto fail;
	}
	if (request(q, "qmp_capabilities", command("qmp_capabilities", NULL),
		    -1, NULL,
		    QMP_CONNECT_TIMEOUT_MS, err))
		goto fail;
	return q;
fail:
	qmp_client_close(q);
	return NULL;
}

struct qmp_client *qmp_client_connect(const char *socket_path, char *err)
{
	struct qmp_io io;
	if (qmp_socket_open(socket_path, &io, err))
		return NULL;
	return qmp_client_open(&io, err);
}

void qmp_client_close(struct qmp_client *q)
{
	if (!q)
		return;
	close_io(q);
	if (q->tok)
		json_tokener_free(q->tok);
	free(q);
}

int qmp_client_execute(struct qmp_client *q, const char *name,
		       struct json_object *args, struct json_object **ret,
		       int timeout_ms, char *err)
{
	return request(q, name, command(name, args), -1, ret, timeout_ms, err);
}

int qmp_client_hmp(struct qmp_client *q, const char *command_line,
		   char **text, int timeout_ms, char *err)
{
	*text = NULL;
	char what[96];
	snprintf(what, sizeof(what), "human-monitor-command \"%.64s\"",
		 command_line);
	struct json_object *args = json_object_new_object(), *ret;
	if (args)
		json_object_object_add(args, "command-line",
				       json_object_new_string(command_line));
	if (request(q, what, command("human-monitor-command", args), -1, &ret,
		    timeout_ms, err))
		return -1;
	/* json_object_is_type(NULL, ...) is false: JSON null is no text. */
	bool is_text = json_object_is_type(ret, json_type_string);
	if (is_text)
		*text = strdup(json_object_get_string(ret));
	json_object_put(ret);
	if (!is_text)
		return set_err(err, "QMP %s: %s: no text in the reply", q->name,
			       what);
	return *text ? 0 : set_err(err, "QMP %s: out of memory", q->name);
}

int qmp_client_getfd(struct qmp_client *q, const char *fdname, int fd,
		     char *err)
{
	if (fd < 0)
		return set_err(err, "QMP %s: getfd %s: no fd", q->name, fdname);
	struct json_object *args = json_object_new_object();
	if (args)
		json_object_object_add(args, "fdname",
				       json_object_new_string(fdname));
	return request(q, "getfd", command("getfd", args), fd, NULL,
		       QMP_REQUEST_TIMEOUT_MS, err);
}

bool qmp_client_connected(const struct qmp_client *q)
{
	return q->connected;
}

unsigned long qmp_client_events_skipped(const struct qmp_client *q)
{
	return q->skipped;
}

unsigned long qmp_client_event_count(const struct qmp_client *q,
				     const char *event_name)
{
	for (unsigned i = 0; i < QMP_EVENT_NAMES && q->events[i].name[0]; i++)
		if (!strcmp(q->events[i].name, event_name))
			return q->events[i].n;
	return 0;
}
