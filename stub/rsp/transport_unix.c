/* Unix socket: "unix:PATH", created 0600 so only its owner connects. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stub/rsp/transport.h"
#include "common/err.h"

static int unix_open(struct listener *l, const char *spec, char *err)
{
	const char *path = spec + strlen("unix:");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (!*path)
		return set_err(err, "empty socket path in '%s'", spec);
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    strlen(path) >= sizeof(l->path))
		return set_err(err, "socket path too long: %s", path);
	strcpy(sun.sun_path, path);

	/* Replace a stale socket from an earlier run, never another file. */
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return set_err(err, "%s exists and is not a socket",
				       path);
		if (unlink(path) < 0)
			return set_err(err, "cannot remove stale socket %s: %s",
				       path, strerror(errno));
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return set_err(err, "socket: %s", strerror(errno));
	mode_t old = umask(0177); /* born 0600: no window with wider modes */
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int saved = errno;
	umask(old);
	if (rc < 0 || listen(fd, 16) < 0) {
		if (rc == 0)
			saved = errno;
		close(fd);
		return set_err(err, "cannot listen on %s: %s", path,
			       strerror(saved));
	}
	l->fd = fd;
	strcpy(l->path, path);
	snprintf(l->address, sizeof(l->address), "unix:%s", path);
	return 0;
}

static int unix_accept(struct listener *l, struct transport_conn *c)
{
	if (transport_socket_accept(l, c) < 0)
		return -1;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(c->in_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		snprintf(c->peer, sizeof(c->peer), "unix pid %d",
			 (int)cred.pid);
	else
		snprintf(c->peer, sizeof(c->peer), "unix client");
	return 0;
}

static void unix_close(struct listener *l)
{
	transport_socket_close(l);
	if (l->path[0])
		unlink(l->path);
	l->path[0] = '\0';
}

const struct transport_ops transport_unix = {
	.kind = "unix",
	.open = unix_open,
	.accept = unix_accept,
	.recv = transport_socket_recv,
	.send = transport_socket_send,
	.close_conn = transport_socket_close_conn,
	.close = unix_close,
};
