/* stdio ("-"): one client on stdin/stdout, e.g. `target remote | lkstub`.
 * The descriptors stay blocking: they may be shared with a terminal. */
#include <stdio.h>
#include <unistd.h>

#include "stub/rsp/transport.h"

static int stdio_open(struct listener *l, const char *spec, char *err)
{
	(void)spec, (void)err;
	l->fd = -1;
	snprintf(l->address, sizeof(l->address), "stdio");
	return 0;
}

static int stdio_accept(struct listener *l, struct transport_conn *c)
{
	if (l->taken)
		return -1;
	l->taken = true;
	c->in_fd = STDIN_FILENO;
	c->out_fd = STDOUT_FILENO;
	snprintf(c->peer, sizeof(c->peer), "stdio");
	return 0;
}

static ssize_t stdio_recv(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

static ssize_t stdio_send(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len); /* SIGPIPE is ignored by the server */
}

static void stdio_close_conn(struct transport_conn *c)
{
	c->in_fd = c->out_fd = -1; /* not ours to close */
}

static void stdio_close(struct listener *l)
{
	l->fd = -1;
}

const struct transport_ops transport_stdio = {
	.kind = "stdio",
	.open = stdio_open,
	.accept = stdio_accept,
	.recv = stdio_recv,
	.send = stdio_send,
	.close_conn = stdio_close_conn,
	.close = stdio_close,
};
