#include "translate/qmp_socket.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"

struct qmp_socket {
	int fd;
};

static int socket_send(void *ctx, const char *buf, size_t len, int fd)
{
	struct qmp_socket *so = ctx;
	while (len) {
		struct iovec iov = { (void *)buf, len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control;
		if (fd >= 0) {
			memset(&control, 0, sizeof(control));
			mh.msg_control = control.buf;
			mh.msg_controllen = sizeof(control.buf);
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		}
		ssize_t n = sendmsg(so->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		fd = -1; /* it went with the first bytes */
	}
	return 0;
}

static int64_t now_ms(void)
{
	return (int64_t)(clock_now_ns() / NS_PER_MS);
}

static ssize_t socket_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct qmp_socket *so = ctx;
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { so->fd, POLLIN, 0 };
		int r = poll(&p, 1, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return QMP_IO_TIMEOUT;
		/* Plain recv: any fds QEMU might attach are discarded. */
		ssize_t n = recv(so->fd, buf, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n;
	}
}

static void socket_close(void *ctx)
{
	struct qmp_socket *so = ctx;
	close(so->fd);
	free(so);
}

int qmp_socket_open(const char *path, struct qmp_io *io, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return set_err(err, "QMP %s: path too long", path);
	strcpy(sa.sun_path, path);
	struct qmp_socket *so = malloc(sizeof(*so));
	if (!so)
		return set_err(err, "QMP %s: out of memory", path);
	so->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (so->fd < 0 ||
	    connect(so->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		set_err(err, "QMP %s: %s", path, strerror(errno));
		if (so->fd >= 0)
			close(so->fd);
		free(so);
		return -1;
	}
	*io = (struct qmp_io){ so, path, socket_send, socket_recv,
			       socket_close };
	return 0;
}
