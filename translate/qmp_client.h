/* A QMP client that stays connected: commands and their replies matched by
 * id, events set aside, a deadline per request. Replies are parsed with
 * json-c; everything QEMU sends is treated as hostile. */
#ifndef LKSTUB_QMP_CLIENT_H
#define LKSTUB_QMP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct json_object;

/* The conversation with QEMU behind three calls, so that tests and the
 * fuzzer can play QEMU's part. */
#define QMP_IO_TIMEOUT (-2)
struct qmp_io {
	void *ctx;
	const char *name; /* for messages: the socket path */
	/* Send all of buf, with fd (>= 0) attached as SCM_RIGHTS when the
	 * transport can carry one: 0, or -1 with errno set. */
	int (*send)(void *ctx, const char *buf, size_t len, int fd);
	/* Wait up to timeout_ms for bytes and read up to len of them:
	 * how many, 0 when the peer closed, -1 on an error, QMP_IO_TIMEOUT
	 * when nothing came. */
	ssize_t (*recv)(void *ctx, char *buf, size_t len, int timeout_ms);
	void (*close)(void *ctx); /* may be NULL */
};

/* A request's default deadline: a reply slower than this is an error for
 * that request alone. */
#define QMP_REQUEST_TIMEOUT_MS 1000

struct qmp_client;

/* Connect to QEMU's QMP socket, read the greeting, negotiate
 * capabilities. NULL with err set on failure. */
struct qmp_client *qmp_client_connect(const char *socket_path, char *err);
/* The same over io (the client owns io's ctx from then on, failure
 * included, and calls io->close on it once: when the connection is lost
 * or the client closed). io->name is copied. */
struct qmp_client *qmp_client_open(const struct qmp_io *io, char *err);
void qmp_client_close(struct qmp_client *q);

/* Run command name with args (a JSON object, taken over; NULL for none).
 * On success *ret (if ret) is the reply's "return" value, which the
 * caller releases with json_object_put (NULL for a JSON null). -1 with
 * err: "QMP NAME: CLASS: DESC" for QEMU's error reply, or a timeout, a
 * malformed reply (both for this request only), or a lost connection.
 * timeout_ms <= 0 means QMP_REQUEST_TIMEOUT_MS. */
int qmp_client_execute(struct qmp_client *q, const char *name,
		       struct json_object *args, struct json_object **ret,
		       int timeout_ms, char *err);

/* A human monitor command; *text is its output (malloc'd, NUL-ended;
 * NULL on failure). */
int qmp_client_hmp(struct qmp_client *q, const char *command_line,
		   char **text, int timeout_ms, char *err);

/* Hand fd to QEMU under fdname (QMP getfd, the fd sent as SCM_RIGHTS in
 * the same sendmsg as the command; fd stays the caller's to close). */
int qmp_client_getfd(struct qmp_client *q, const char *fdname, int fd,
		     char *err);

/* False once the connection is gone (closed, an I/O error, or a stream
 * that cannot be resynchronised); every later request fails at once. */
bool qmp_client_connected(const struct qmp_client *q);

/* Events (and stray replies) skipped since the connection opened. */
unsigned long qmp_client_events_skipped(const struct qmp_client *q);

/* How many events named event_name ("STOP", "RESUME", ...) arrived. */
unsigned long qmp_client_event_count(const struct qmp_client *q,
				     const char *event_name);

#endif
