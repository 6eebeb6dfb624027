/* TCP: "HOST:PORT", "[V6ADDR]:PORT" or ":PORT" (127.0.0.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stub/rsp/transport.h"
#include "common/err.h"

/* "127.0.0.1:1234" or "[::1]:1234" for a socket address. */
static void format_addr(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, len, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
	} else {
		snprintf(out, len, "?");
	}
}

/* Splits spec into host and port; brackets are removed from v6. */
static int split_host_port(const char *spec, char *host, size_t host_len,
			   char *port, size_t port_len, char *err)
{
	const char *colon;
	size_t hlen;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			return set_err(err, "bad listen address '%s': "
					    "expected [ADDR]:PORT", spec);
		colon = close + 1;
		spec++;
		hlen = (size_t)(close - spec);
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return set_err(err, "bad listen address '%s': "
					    "expected HOST:PORT, :PORT, "
					    "unix:PATH or -", spec);
		hlen = (size_t)(colon - spec);
	}
	const char *p = colon + 1;
	size_t plen = strlen(p);
	if (plen == 0 || plen >= port_len || strspn(p, "0123456789") != plen ||
	    atol(p) > 65535)
		return set_err(err, "bad port '%s' in '%s'", p, spec);
	if (hlen >= host_len)
		return set_err(err, "host name too long in '%s'", spec);
	if (hlen == 0)
		snprintf(host, host_len, "127.0.0.1");
	else
		snprintf(host, host_len, "%.*s", (int)hlen, spec);
	memcpy(port, p, plen + 1);
	return 0;
}

/* Loopback is 127.0.0.0/8 and ::1 (and ::ffff:127.x.y.z). */
static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int tcp_open(struct listener *l, const char *spec, char *err)
{
	char host[256], port[8];
	if (split_host_port(spec, host, sizeof(host), port, sizeof(port),
			    err) < 0)
		return -1;
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	}, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return set_err(err, "cannot resolve '%s': %s", host,
			       gai_strerror(rc));
	int fd = -1, saved = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 16) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return set_err(err, "cannot listen on %s: %s", spec,
			       strerror(saved));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	format_addr((struct sockaddr *)&ss, l->address, sizeof(l->address));
	if (!is_loopback((struct sockaddr *)&ss))
		fprintf(stderr, "lkstub: WARNING: listening on %s, not on "
			"loopback: anyone who can reach it can read the guest "
			"kernel's memory\n", l->address);
	l->fd = fd;
	return 0;
}

static int tcp_accept(struct listener *l, struct transport_conn *c)
{
	if (transport_socket_accept(l, c) < 0)
		return -1;
	int one = 1; /* small replies go out at once */
	setsockopt(c->in_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getpeername(c->in_fd, (struct sockaddr *)&ss, &sl) == 0)
		format_addr((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "tcp client");
	return 0;
}

const struct transport_ops transport_tcp = {
	.kind = "tcp",
	.open = tcp_open,
	.accept = tcp_accept,
	.recv = transport_socket_recv,
	.send = transport_socket_send,
	.close_conn = transport_socket_close_conn,
	.close = transport_socket_close,
};
