/* rsp_client: a raw GDB remote protocol client for benchmarks and
 * scripted checks, against lkstub or any gdbstub (QEMU's included).
 *
 *   rsp_client [-x] [-u unix:PATH | HOST:PORT] COMMAND...
 *     bench-read ADDR TOTAL CHUNK   read TOTAL bytes with m packets
 *     bench-latency ADDR COUNT      COUNT 8-byte m reads, mean/median
 *     probe ADDR SECONDS PAUSE_US   8-byte m reads for SECONDS, PAUSE_US
 *                                   apart: median, 99th percentile, worst,
 *                                   and reads that differ from the first
 *     send PACKET                   print the decoded reply
 *     dump ADDR LEN FILE            save memory to FILE
 *   -x: memory is read with x packets (binary replies) instead of m; the
 *   server must offer binary-upload+.
 *
 * Standalone on purpose: it shares no code with the stub it measures. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX (64u << 20) /* refuse replies beyond this */

struct conn {
	int fd;
	bool ack;             /* acks still on */
	size_t packet_size;   /* the server's PacketSize */
	bool offers_x;        /* the server said binary-upload+ */
	bool binary;          /* -x: read memory with x packets */
	uint64_t requests;    /* memory read packets sent */
	char in[1 << 19];     /* bytes read, not yet used */
	size_t in_len, in_pos;
	char *reply;          /* last reply, decoded, NUL-terminated */
	size_t reply_len, reply_cap;
	char *out;            /* framing buffer */
	size_t out_cap;
};

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "rsp_client: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(const char *where)
{
	int fd;
	if (strncmp(where, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		if (strlen(where + 5) >= sizeof(sun.sun_path))
			die("socket path too long");
		strcpy(sun.sun_path, where + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (void *)&sun, sizeof(sun)) < 0)
			die("connect %s: %s", where, strerror(errno));
		return fd;
	}
	char host[256];
	const char *colon = strrchr(where, ':');
	if (!colon)
		die("expected HOST:PORT or unix:PATH, got '%s'", where);
	size_t hlen = (size_t)(colon - where);
	if (hlen >= sizeof(host))
		die("host too long");
	if (where[0] == '[' && hlen >= 2 && where[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hlen - 2), where + 1);
	else if (hlen == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, where);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc)
		die("%s: %s", host, gai_strerror(rc));
	fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("connect %s: %s", where, strerror(errno));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static int next_byte(struct conn *c)
{
	if (c->in_pos == c->in_len) {
		ssize_t n;
		do
			n = recv(c->fd, c->in, sizeof(c->in), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			die("recv: %s", strerror(errno));
		if (n == 0)
			die("connection closed by the server");
		c->in_len = (size_t)n;
		c->in_pos = 0;
	}
	return (unsigned char)c->in[c->in_pos++];
}

static void reply_put(struct conn *c, char ch)
{
	if (c->reply_len + 2 > c->reply_cap) {
		size_t cap = c->reply_cap ? 2 * c->reply_cap : 4096;
		if (cap > REPLY_MAX)
			die("reply larger than %u bytes", REPLY_MAX);
		c->reply = realloc(c->reply, cap);
		if (!c->reply)
			die("out of memory");
		c->reply_cap = cap;
	}
	c->reply[c->reply_len++] = ch;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

static void reply_reserve(struct conn *c, size_t more)
{
	if (c->reply_len + more + 1 <= c->reply_cap)
		return;
	size_t cap = c->reply_cap ? c->reply_cap : 4096;
	while (cap < c->reply_len + more + 1)
		cap *= 2;
	if (cap > REPLY_MAX)
		die("reply larger than %u bytes", REPLY_MAX);
	c->reply = realloc(c->reply, cap);
	if (!c->reply)
		die("out of memory");
	c->reply_cap = cap;
}

/* Makes sure at least one unread byte is buffered. */
static void fill(struct conn *c)
{
	if (c->in_pos == c->in_len) {
		next_byte(c);
		c->in_pos--;
	}
}

/* Reads one packet into c->reply (escapes and runs undone); acks it in
 * ack mode. Plain runs are scanned in bulk: the client must not be what
 * a throughput benchmark measures. */
static void recv_packet(struct conn *c)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		for (;;) { /* skip acks and noise up to '$' */
			fill(c);
			const char *d = memchr(c->in + c->in_pos, '$',
					       c->in_len - c->in_pos);
			if (d) {
				c->in_pos = (size_t)(d - c->in) + 1;
				break;
			}
			c->in_pos = c->in_len;
		}
		unsigned sum = 0;
		c->reply_len = 0;
		for (;;) {
			fill(c);
			size_t i = c->in_pos;
			const unsigned char *in = (const unsigned char *)c->in;
			while (i < c->in_len && in[i] != '#' && in[i] != '}' &&
			       in[i] != '*')
				sum += in[i++];
			size_t run = i - c->in_pos;
			reply_reserve(c, run);
			memcpy(c->reply + c->reply_len, c->in + c->in_pos, run);
			c->reply_len += run;
			c->in_pos = i;
			if (i == c->in_len)
				continue;
			int ch = next_byte(c);
			if (ch == '#')
				break;
			sum += (unsigned)ch;
			int arg = next_byte(c);
			sum += (unsigned)arg;
			if (ch == '}') {
				reply_put(c, (char)(arg ^ 0x20));
			} else if (c->reply_len) { /* '*': run length */
				char prev = c->reply[c->reply_len - 1];
				for (int k = 0; k < arg - 29; k++)
					reply_put(c, prev);
			}
		}
		int hi = hexval(next_byte(c)), lo = hexval(next_byte(c));
		reply_put(c, '\0'); /* terminator, not counted */
		c->reply_len--;
		bool good = hi >= 0 && lo >= 0 &&
			    (unsigned)(hi << 4 | lo) == (sum & 0xff);
		if (!c->ack) {
			if (!good)
				die("bad checksum without acks");
			return;
		}
		write_all(c->fd, good ? "+" : "-", 1);
		if (good)
			return;
	}
	die("too many bad checksums");
}

static void send_packet(struct conn *c, const char *payload, size_t len)
{
	if (len + 4 > c->out_cap) {
		c->out_cap = len + 4;
		c->out = realloc(c->out, c->out_cap);
		if (!c->out)
			die("out of memory");
	}
	unsigned sum = 0;
	c->out[0] = '$';
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)payload[i];
	memcpy(c->out + 1, payload, len);
	snprintf(c->out + 1 + len, 4, "#%02x", sum & 0xff);
	for (int attempt = 0; attempt < 5; attempt++) {
		write_all(c->fd, c->out, len + 4);
		if (!c->ack)
			return;
		int ch;
		while ((ch = next_byte(c)) != '+' && ch != '-')
			; /* noise */
		if (ch == '+')
			return;
	}
	die("packet refused five times");
}

static const char *request(struct conn *c, const char *payload)
{
	send_packet(c, payload, strlen(payload));
	recv_packet(c);
	return c->reply;
}

static void handshake(struct conn *c)
{
	c->ack = true;
	c->packet_size = 0x400;
	const char *r = request(c, "qSupported:swbreak+;hwbreak+");
	const char *ps = strstr(r, "PacketSize=");
	if (ps)
		c->packet_size = strtoul(ps + 11, NULL, 16);
	if (c->packet_size < 64)
		c->packet_size = 64;
	c->offers_x = strstr(r, "binary-upload+") != NULL;
	if (strstr(r, "QStartNoAckMode+") &&
	    strcmp(request(c, "QStartNoAckMode"), "OK") == 0)
		c->ack = false;
}

/* One x request: the reply is 'b' and up to n raw bytes (escapes were
 * undone by recv_packet). A short reply is normal (escaping made the
 * data outgrow the packet): the caller asks again from there. */
static size_t read_x(struct conn *c, uint64_t addr, uint64_t n,
		     unsigned char *buf, FILE *to)
{
	char req[64];
	snprintf(req, sizeof(req), "x%llx,%llx", (unsigned long long)addr,
		 (unsigned long long)n);
	c->requests++;
	const char *r = request(c, req);
	if (r[0] != 'b' || c->reply_len == 1) {
		fprintf(stderr, "rsp_client: at %#llx: reply '%.16s'\n",
			(unsigned long long)addr, r);
		return 0;
	}
	size_t got = c->reply_len - 1;
	if (got > n)
		die("x reply at %#llx: %zu bytes for %llu asked",
		    (unsigned long long)addr, got, (unsigned long long)n);
	if (buf)
		memcpy(buf, r + 1, got);
	if (to && fwrite(r + 1, 1, got, to) != got)
		die("write failed");
	return got;
}

/* Reads len bytes at addr into buf (if any); returns bytes got, stops at
 * the first error reply (with m, also at a short one). */
static uint64_t read_mem(struct conn *c, uint64_t addr, uint64_t len,
			 size_t chunk, unsigned char *buf, FILE *to)
{
	uint64_t done = 0;
	char req[64];
	while (done < len) {
		uint64_t n = len - done < chunk ? len - done : chunk;
		if (c->binary) {
			size_t got = read_x(c, addr + done, n,
					    buf ? buf + done : NULL, to);
			if (got == 0)
				break;
			done += got;
			continue;
		}
		snprintf(req, sizeof(req), "m%llx,%llx",
			 (unsigned long long)(addr + done),
			 (unsigned long long)n);
		c->requests++;
		const char *r = request(c, req);
		if (r[0] == 'E' || c->reply_len == 0 || c->reply_len % 2) {
			fprintf(stderr, "rsp_client: at %#llx: reply '%.16s'\n",
				(unsigned long long)(addr + done), r);
			break;
		}
		size_t got = c->reply_len / 2;
		if (got > n)
			die("m reply at %#llx: %zu bytes for %llu asked",
			    (unsigned long long)(addr + done), got,
			    (unsigned long long)n);
		if (buf || to) {
			for (size_t i = 0; i < got; i++) {
				int hi = hexval(r[2 * i]), lo = hexval(r[2 * i + 1]);
				if (hi < 0 || lo < 0)
					die("bad hex in reply");
				unsigned char b = (unsigned char)(hi << 4 | lo);
				if (buf)
					buf[done + i] = b;
				if (to)
					fputc(b, to);
			}
		}
		done += got;
		if (got < n)
			break;
	}
	return done;
}

static uint64_t num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		die("bad number '%s'", s);
	return v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static size_t clamp_chunk(struct conn *c, uint64_t want)
{
	/* A hex reply fills a packet with half its bytes; a binary one
	 * with all but the 'b' when nothing needs escaping. */
	size_t max = c->binary ? c->packet_size - 1 : c->packet_size / 2;
	return want < max ? (size_t)want : max;
}

static void print_text_reply(const char *r, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)r[i];
		if (ch >= 0x20 && ch < 0x7f)
			putchar(ch);
		else
			printf("\\x%02x", ch);
	}
	putchar('\n');
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rsp_client [-x] [-u unix:PATH | HOST:PORT] COMMAND...\n"
		"  bench-read ADDR TOTAL CHUNK\n  bench-latency ADDR COUNT\n"
		"  probe ADDR SECONDS PAUSE_US\n"
		"  send PACKET\n  dump ADDR LEN FILE\n"
		"  -x: read memory with x packets (binary replies)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int i = 1;
	bool binary = false;
	if (argc > i && strcmp(argv[i], "-x") == 0) {
		binary = true;
		i++;
	}
	if (argc > i && strcmp(argv[i], "-u") == 0)
		i++;
	if (argc < i + 2)
		usage();
	struct conn c = { .fd = dial(argv[i++]) };
	handshake(&c);
	if (binary && !c.offers_x)
		die("-x: the server does not offer binary-upload+");
	c.binary = binary;
	for (; i < argc;) {
		const char *cmd = argv[i++];
		if (strcmp(cmd, "bench-read") == 0 && i + 3 <= argc) {
			uint64_t addr = num(argv[i]), total = num(argv[i + 1]);
			size_t chunk = clamp_chunk(&c, num(argv[i + 2]));
			i += 3;
			double t0 = now();
			c.requests = 0;
			uint64_t got = read_mem(&c, addr, total, chunk, NULL, NULL);
			double dt = now() - t0;
			printf("read: %llu bytes in %.3f s = %.1f MB/s (chunk %zu)",
			       (unsigned long long)got, dt,
			       dt > 0 ? (double)got / dt / 1e6 : 0.0, chunk);
			if (c.binary)
				printf(" with x: %llu packets",
				       (unsigned long long)c.requests);
			putchar('\n');
		} else if (strcmp(cmd, "bench-latency") == 0 && i + 2 <= argc) {
			uint64_t addr = num(argv[i]), count = num(argv[i + 1]);
			i += 2;
			if (count == 0 || count > 10000000)
				die("COUNT must be 1..10000000");
			double *us = malloc(count * sizeof(*us));
			if (!us)
				die("out of memory");
			unsigned char b[8];
			for (uint64_t k = 0; k < count; k++) {
				double t0 = now();
				if (read_mem(&c, addr, 8, 8, b, NULL) != 8)
					die("read at %#llx failed",
					    (unsigned long long)addr);
				us[k] = (now() - t0) * 1e6;
			}
			double sum = 0;
			for (uint64_t k = 0; k < count; k++)
				sum += us[k];
			qsort(us, count, sizeof(*us), cmp_double);
			printf("latency: %llu reads of 8 bytes: mean %.1f us, "
			       "median %.1f us\n", (unsigned long long)count,
			       sum / (double)count, us[count / 2]);
			free(us);
		} else if (strcmp(cmd, "probe") == 0 && i + 3 <= argc) {
			uint64_t addr = num(argv[i]), secs = num(argv[i + 1]);
			uint64_t pause_us = num(argv[i + 2]);
			i += 3;
			const size_t max = 1000000;
			double *us = malloc(max * sizeof(*us));
			if (!us || secs > 3600 || pause_us > 1000000)
				die("probe: SECONDS <= 3600, PAUSE_US <= 1000000");
			unsigned char first[8], b[8];
			size_t n = 0, differ = 0;
			double end = now() + (double)secs;
			while (n < max && now() < end) {
				double t0 = now();
				if (read_mem(&c, addr, 8, 8, b, NULL) != 8)
					die("read at %#llx failed",
					    (unsigned long long)addr);
				us[n] = (now() - t0) * 1e6;
				if (n == 0)
					memcpy(first, b, 8);
				differ += memcmp(first, b, 8) != 0;
				n++;
				usleep((useconds_t)pause_us);
			}
			if (n == 0)
				die("probe: no reads");
			qsort(us, n, sizeof(*us), cmp_double);
			printf("probe: %zu reads of 8 bytes: median %.1f us, 99th "
			       "percentile %.1f us, worst %.1f us, %zu differ\n",
			       n, us[n / 2], us[n * 99 / 100], us[n - 1], differ);
			free(us);
		} else if (strcmp(cmd, "send") == 0 && i + 1 <= argc) {
			const char *r = request(&c, argv[i++]);
			/* Console output ("O" + hex) comes first, then the
			 * real reply ("OK" is one, not output). */
			for (int k = 0; k < 1000 && r[0] == 'O' && r[1] &&
					 strcmp(r, "OK") != 0; k++) {
				for (size_t j = 1; j + 1 < c.reply_len; j += 2)
					putchar(hexval(r[j]) << 4 | hexval(r[j + 1]));
				recv_packet(&c);
				r = c.reply;
			}
			print_text_reply(r, c.reply_len);
		} else if (strcmp(cmd, "dump") == 0 && i + 3 <= argc) {
			uint64_t addr = num(argv[i]), len = num(argv[i + 1]);
			FILE *f = fopen(argv[i + 2], "wb");
			if (!f)
				die("%s: %s", argv[i + 2], strerror(errno));
			i += 3;
			uint64_t got = read_mem(&c, addr, len, clamp_chunk(&c, 1 << 20),
						NULL, f);
			if (fclose(f) != 0)
				die("write failed");
			printf("dump: %llu bytes\n", (unsigned long long)got);
			if (got < len)
				return 1;
		} else {
			usage();
		}
	}
	free(c.reply);
	free(c.out);
	close(c.fd);
	return 0;
}
