#include "stub/rsp/server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_session.h"
#include "stub/rsp/transport.h"
#include "common/err.h"

/* Bytes taken from one client per wakeup: big enough for a large X
 * packet in a few reads, small enough to keep turns fair. */
#define READ_CHUNK (64u << 10)

struct client {
	struct transport_conn conn;
	struct rsp_decoder dec;
	struct rsp_session sess;
	struct strbuf out; /* framed replies not yet sent */
	size_t out_sent;   /* of out, already sent */
};

struct server {
	struct listener l;
	struct target *target;
	struct client *clients[SERVER_MAX_CLIENTS];
	unsigned nclients;
	char read_buf[READ_CHUNK];
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const struct transport_ops *transport_for(const char *listen)
{
	if (strcmp(listen, "-") == 0)
		return &transport_stdio;
	if (strncmp(listen, "unix:", 5) == 0)
		return &transport_unix;
	return &transport_tcp;
}

struct server *server_open(const char *listen, struct target *t, char *err)
{
	struct server *s = calloc(1, sizeof(*s));
	if (!s) {
		set_err(err, "out of memory");
		return NULL;
	}
	s->target = t;
	s->l.fd = -1;
	s->l.ops = transport_for(listen);
	if (s->l.ops->open(&s->l, listen, err) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

const char *server_address(const struct server *s)
{
	return s->l.address;
}

static void drop_client(struct server *s, unsigned i, const char *why)
{
	struct client *c = s->clients[i];
	fprintf(stderr, "lkstub: %s disconnected (%s)\n", c->conn.peer, why);
	s->l.ops->close_conn(&c->conn);
	rsp_decoder_free(&c->dec);
	rsp_session_free(&c->sess);
	strbuf_free(&c->out);
	free(c);
	s->clients[i] = s->clients[--s->nclients];
	s->clients[s->nclients] = NULL;
}

static void add_client(struct server *s, struct transport_conn *conn)
{
	char err[ERR_LEN];
	if (s->nclients == SERVER_MAX_CLIENTS) {
		fprintf(stderr, "lkstub: %s refused: already %u clients\n",
			conn->peer, s->nclients);
		s->l.ops->close_conn(conn);
		return;
	}
	struct client *c = calloc(1, sizeof(*c));
	if (!c || rsp_decoder_init(&c->dec, err) < 0 ||
	    rsp_session_init(&c->sess, s->target, err) < 0) {
		fprintf(stderr, "lkstub: %s refused: out of memory\n",
			conn->peer);
		if (c) {
			rsp_decoder_free(&c->dec);
			rsp_session_free(&c->sess);
		}
		free(c);
		s->l.ops->close_conn(conn);
		return;
	}
	c->conn = *conn;
	strbuf_init(&c->out, SERVER_OUT_MAX);
	s->clients[s->nclients++] = c;
	fprintf(stderr, "lkstub: %s connected\n", c->conn.peer);
	if (s->target->ops->on_attach)
		s->target->ops->on_attach(s->target->ctx);
}

/* Sends what it can without blocking; -1 when the peer is gone. */
static int flush_client(struct server *s, struct client *c)
{
	while (c->out_sent < c->out.len) {
		ssize_t n = s->l.ops->send(c->conn.out_fd,
					   c->out.buf + c->out_sent,
					   c->out.len - c->out_sent);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		c->out_sent += (size_t)n;
	}
	strbuf_reset(&c->out);
	c->out_sent = 0;
	return 0;
}

/* Moves unsent bytes to the front so the queue's cap counts only what
 * is really pending. */
static void compact_output(struct client *c)
{
	if (c->out_sent == 0)
		return;
	size_t left = c->out.len - c->out_sent;
	memmove(c->out.buf, c->out.buf + c->out_sent, left);
	strbuf_truncate(&c->out, left);
	c->out_sent = 0;
}

/* Reads once and answers every complete packet; returns the reason to
 * drop the client, or NULL. */
static const char *serve_input(struct server *s, struct client *c)
{
	ssize_t n = s->l.ops->recv(c->conn.in_fd, s->read_buf, READ_CHUNK);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
				       errno == EINTR
			       ? NULL
			       : "read error";
	if (n == 0)
		return "closed";
	compact_output(c);
	size_t used = 0;
	while (used < (size_t)n) {
		enum rsp_event ev;
		const char *in = s->read_buf + used;
		used += rsp_decoder_feed(&c->dec, in, (size_t)n - used, &ev);
		if (ev == RSP_EV_NONE)
			continue;
		if (!rsp_session_event(&c->sess, ev, c->dec.buf, c->dec.len,
				       &c->out))
			return c->sess.closing ? "killed" : "output queue full";
	}
	return flush_client(s, c) < 0 ? "write error" : NULL;
}

static void accept_clients(struct server *s)
{
	/* Bounded: at most as many as free slots plus one to refuse. */
	for (unsigned k = 0; k <= SERVER_MAX_CLIENTS; k++) {
		struct transport_conn conn;
		if (s->l.ops->accept(&s->l, &conn) < 0)
			return;
		add_client(s, &conn);
	}
}

/* Fills old_mask with the mask to restore and run_mask with the one to
 * wait under. */
static void install_signals(sigset_t *old_mask, sigset_t *run_mask)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Blocked except inside ppoll: no signal slips in between the
	 * check of stop_requested and the wait. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, old_mask);
	*run_mask = *old_mask;
	sigdelset(run_mask, SIGINT);
	sigdelset(run_mask, SIGTERM);
}

int server_run(struct server *s)
{
	sigset_t old_mask, run_mask;
	install_signals(&old_mask, &run_mask);
	stop_requested = 0;
	bool is_stdio = s->l.ops == &transport_stdio;
	if (is_stdio)
		accept_clients(s);
	fprintf(stderr, "lkstub: serving on %s\n", s->l.address);

	/* [0] the listener, then in/out per client. */
	struct pollfd fds[1 + 2 * SERVER_MAX_CLIENTS];
	while (!stop_requested) {
		if (is_stdio && s->nclients == 0)
			break;
		nfds_t nfds = 0;
		fds[nfds++] = (struct pollfd){ .fd = s->l.fd, .events = POLLIN };
		for (unsigned i = 0; i < s->nclients; i++) {
			struct client *c = s->clients[i];
			fds[nfds++] = (struct pollfd){ .fd = c->conn.in_fd,
						      .events = POLLIN };
			bool pending = c->out_sent < c->out.len;
			fds[nfds++] = (struct pollfd){
				.fd = pending ? c->conn.out_fd : -1,
				.events = POLLOUT,
			};
		}
		if (ppoll(fds, nfds, NULL, &run_mask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "lkstub: poll: %s\n", strerror(errno));
			break;
		}
		/* Walk backwards: dropping moves the last client into i. */
		for (unsigned i = s->nclients; i-- > 0;) {
			struct client *c = s->clients[i];
			short in = fds[1 + 2 * i].revents;
			short out = fds[2 + 2 * i].revents;
			const char *why = NULL;
			if (out & (POLLOUT | POLLERR | POLLHUP))
				why = flush_client(s, c) < 0 ? "write error"
							     : NULL;
			if (!why && (in & (POLLIN | POLLHUP | POLLERR)))
				why = serve_input(s, c);
			if (why)
				drop_client(s, i, why);
		}
		if (fds[0].revents & POLLIN)
			accept_clients(s);
	}
	while (s->nclients)
		drop_client(s, s->nclients - 1,
			    stop_requested ? "server stopping" : "stdin closed");
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return 0;
}

void server_close(struct server *s)
{
	if (!s)
		return;
	while (s->nclients)
		drop_client(s, s->nclients - 1, "server closing");
	s->l.ops->close(&s->l);
	free(s);
}
