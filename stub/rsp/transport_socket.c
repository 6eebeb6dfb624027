/* What TCP and Unix-socket transports share. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stub/rsp/transport.h"

ssize_t transport_socket_recv(int fd, void *buf, size_t len)
{
	return recv(fd, buf, len, 0);
}

ssize_t transport_socket_send(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL); /* a gone peer: EPIPE */
}

void transport_socket_close_conn(struct transport_conn *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = c->out_fd = -1;
}

void transport_socket_close(struct listener *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void transport_socket_tune(int fd)
{
	int size = 1 << 20; /* a whole 256 KiB reply per send where allowed */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int transport_socket_accept(struct listener *l, struct transport_conn *c)
{
	int fd;
	do
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	transport_socket_tune(fd);
	c->in_fd = c->out_fd = fd;
	return 0;
}
