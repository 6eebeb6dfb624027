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
/* An idle client's buffers that grew past this are given back. */
#define BUF_KEEP (64u << 10)

struct client {
	struct transport_conn conn;
	struct rsp_decoder dec;
	struct rsp_session sess;
	struct strbuf out; /* framed replies not yet sent */
	size_t out_sent;   /* of out, already sent */
	/* Input read while the session was busy with a long request,
	 * decoded once it is done. */
	char *held;
	size_t held_len;
	/* Connected while the target was busy (target_ops.busy_fd): its
	 * input waits until the target is done. */
	bool after_target;
};

struct server {
	struct listener l;
	struct target *target;
	struct rsp_threads threads; /* thread listings, shared by clients */
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
	rsp_threads_init(&s->threads);
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
	free(c->held);
	free(c);
	s->clients[i] = s->clients[--s->nclients];
	s->clients[s->nclients] = NULL;
}

static int target_busy_fd(const struct server *s)
{
	const struct target *t = s->target;
	return t->ops->busy_fd ? t->ops->busy_fd(t->ctx) : -1;
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
	    rsp_session_init(&c->sess, s->target, &s->threads, err) < 0) {
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
	c->after_target = target_busy_fd(s) >= 0;
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
	strbuf_trim(&c->out, BUF_KEEP);
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

/* Keeps input that arrived behind a long request for later. */
static const char *hold_input(struct client *c, const char *in, size_t n)
{
	c->held = malloc(n);
	if (!c->held)
		return "out of memory";
	memcpy(c->held, in, n);
	c->held_len = n;
	return NULL;
}

/* Decodes and answers in[0..n) until it is used up, or until the session
 * is busy with a long request (the rest is held); returns the reason to
 * drop the client, or NULL. */
static const char *feed(struct client *c, const char *in, size_t n)
{
	size_t used = 0;
	while (used < n) {
		if (rsp_session_busy(&c->sess))
			return hold_input(c, in + used, n - used);
		enum rsp_event ev;
		used += rsp_decoder_feed(&c->dec, in + used, n - used, &ev);
		if (ev == RSP_EV_NONE)
			continue;
		bool ok = rsp_session_event(&c->sess, ev, c->dec.buf,
					    c->dec.len, &c->out);
		rsp_decoder_trim(&c->dec, BUF_KEEP);
		if (!ok)
			return c->sess.closing ? "killed" : "output queue full";
	}
	return NULL;
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
	const char *why = feed(c, s->read_buf, (size_t)n);
	if (why)
		return why;
	return flush_client(s, c) < 0 ? "write error" : NULL;
}

/* One slice of a busy client's long request; once it is done, the input
 * held behind it. */
static const char *serve_pending(struct server *s, struct client *c)
{
	compact_output(c);
	if (!rsp_session_resume(&c->sess, &c->out))
		return "output queue full";
	if (!rsp_session_busy(&c->sess) && c->held) {
		char *in = c->held;
		size_t n = c->held_len;
		c->held = NULL;
		c->held_len = 0;
		const char *why = feed(c, in, n);
		free(in);
		if (why)
			return why;
	}
	return flush_client(s, c) < 0 ? "write error" : NULL;
}

/* Has work to go on with: a request still being worked on, or input
 * held behind one. */
static bool pending(const struct client *c)
{
	return rsp_session_busy(&c->sess) || c->held;
}

/* Takes no new input now. */
static bool waiting(const struct client *c)
{
	return pending(c) || c->after_target;
}

/* The target's work has news; once it is done, the clients that waited
 * go on. */
static void target_done(struct server *s)
{
	const struct target *t = s->target;
	if (t->ops->busy_done)
		t->ops->busy_done(t->ctx);
	if (target_busy_fd(s) >= 0)
		return;
	for (unsigned i = 0; i < s->nclients; i++)
		s->clients[i]->after_target = false;
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

	/* [0] the listener, [1] the target's work, then in/out per client. */
	struct pollfd fds[2 + 2 * SERVER_MAX_CLIENTS];
	const struct timespec no_wait = { 0, 0 };
	while (!stop_requested) {
		if (is_stdio && s->nclients == 0)
			break;
		nfds_t nfds = 0;
		bool work = false; /* a long request to go on with */
		fds[nfds++] = (struct pollfd){ .fd = s->l.fd, .events = POLLIN };
		fds[nfds++] = (struct pollfd){ .fd = target_busy_fd(s),
					      .events = POLLIN };
		for (unsigned i = 0; i < s->nclients; i++) {
			struct client *c = s->clients[i];
			work |= pending(c);
			fds[nfds++] = (struct pollfd){
				.fd = waiting(c) ? -1 : c->conn.in_fd,
				.events = POLLIN,
			};
			bool pending = c->out_sent < c->out.len;
			fds[nfds++] = (struct pollfd){
				.fd = pending ? c->conn.out_fd : -1,
				.events = POLLOUT,
			};
		}
		if (ppoll(fds, nfds, work ? &no_wait : NULL, &run_mask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "lkstub: poll: %s\n", strerror(errno));
			break;
		}
		/* Walk backwards: dropping moves the last client into i. */
		for (unsigned i = s->nclients; i-- > 0;) {
			struct client *c = s->clients[i];
			short in = fds[2 + 2 * i].revents;
			short out = fds[3 + 2 * i].revents;
			const char *why = NULL;
			if (out & (POLLOUT | POLLERR | POLLHUP))
				why = flush_client(s, c) < 0 ? "write error"
							     : NULL;
			if (!why && (in & (POLLIN | POLLHUP | POLLERR)))
				why = serve_input(s, c);
			else if (!why && pending(c))
				why = serve_pending(s, c);
			if (why)
				drop_client(s, i, why);
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
			target_done(s);
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
	rsp_threads_free(&s->threads);
	free(s);
}
