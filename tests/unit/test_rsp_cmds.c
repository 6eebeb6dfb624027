/* Every packet handler, through a session on the fake target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stub/rsp/hex.h"
#include "stub/rsp/rsp_packet.h"
#include "stub/rsp/rsp_session.h"
#include "tests/unit/fake_target.h"

#define MAX_REPLIES 8

struct ctx {
	struct fake fake;
	struct target target;
	struct target_ops ops;
	struct rsp_threads threads;
	struct rsp_session s;
	struct strbuf out;
	struct rsp_decoder dec;
	bool keep;            /* session_event's result */
	unsigned slices;      /* rsp_session_resume calls the last one took */
	unsigned acks, naks;  /* '+' and '-' seen in the output */
	unsigned n;           /* packets seen in the output */
	char *reply[MAX_REPLIES];
	size_t len[MAX_REPLIES];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char err[ERR_LEN];
	fake_init(&c->fake);
	c->fake.writable = true;
	c->ops = fake_ops;
	c->target = (struct target){ .ops = &c->ops, .ctx = &c->fake };
	rsp_threads_init(&c->threads);
	assert_int_equal(rsp_session_init(&c->s, &c->target, &c->threads, err),
			 0);
	assert_int_equal(rsp_decoder_init(&c->dec, err), 0);
	strbuf_init(&c->out, 8u << 20);
	c->s.no_ack = true; /* most tests look at replies only */
	*state = c;
	return 0;
}

static void clear_replies(struct ctx *c)
{
	for (unsigned i = 0; i < c->n && i < MAX_REPLIES; i++)
		free(c->reply[i]);
	c->n = c->acks = c->naks = 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	clear_replies(c);
	rsp_session_free(&c->s);
	rsp_threads_free(&c->threads);
	rsp_decoder_free(&c->dec);
	strbuf_free(&c->out);
	free(c);
	return 0;
}

/* Splits what the session wrote into packets, checking every frame. */
static void collect(struct ctx *c)
{
	size_t used = 0;
	while (used < c->out.len) {
		enum rsp_event ev;
		used += rsp_decoder_feed(&c->dec, c->out.buf + used,
					 c->out.len - used, &ev);
		assert_true(ev == RSP_EV_NONE || ev == RSP_EV_PACKET ||
			    ev == RSP_EV_ACK || ev == RSP_EV_NAK);
		if (ev == RSP_EV_ACK)
			c->acks++;
		if (ev == RSP_EV_NAK)
			c->naks++;
		if (ev != RSP_EV_PACKET)
			continue;
		/* What we send must fit what we advertise. */
		assert_true(c->dec.len <= RSP_PACKET_SIZE);
		if (c->n < MAX_REPLIES) {
			c->reply[c->n] = malloc(c->dec.len + 1);
			memcpy(c->reply[c->n], c->dec.buf, c->dec.len + 1);
			c->len[c->n] = c->dec.len;
		}
		c->n++;
	}
	strbuf_reset(&c->out);
}

/* As the server does: the event, then slices of a long request until it
 * is done (c->slices counts them). */
static void send_event(struct ctx *c, enum rsp_event ev, const char *pkt,
		       size_t len)
{
	clear_replies(c);
	c->keep = rsp_session_event(&c->s, ev, pkt, len, &c->out);
	for (c->slices = 0; c->keep && rsp_session_busy(&c->s); c->slices++)
		c->keep = rsp_session_resume(&c->s, &c->out);
	collect(c);
}

/* Sends one packet; returns the last reply packet's payload. */
static const char *send_n(struct ctx *c, const char *pkt, size_t len)
{
	send_event(c, RSP_EV_PACKET, pkt, len);
	assert_true(c->n >= 1);
	return c->reply[c->n - 1];
}

static const char *send(struct ctx *c, const char *pkt)
{
	return send_n(c, pkt, strlen(pkt));
}

static void handshake(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "qSupported:multiprocess+;swbreak+"),
			    "PacketSize=40000;qXfer:features:read+;"
			    "qXfer:threads:read+;QStartNoAckMode+;"
			    "qSearch:memory+;binary-upload+;vContSupported-");
	assert_string_equal(send(c, "vMustReplyEmpty"), "");
	assert_string_equal(send(c, "qAttached"), "1");
	assert_string_equal(send(c, "qAttached:1"), "1");
	assert_string_equal(send(c, "qOffsets"), "");
	assert_string_equal(send(c, "qSymbol::"), "OK");
	assert_string_equal(send(c, "qTStatus"), "");
	assert_string_equal(send(c, "?"), "T05thread:01;");
	assert_string_equal(send(c, "qC"), "QC1");
	assert_string_equal(send(c, "vKill;1"), "OK");
}

static const struct gdb_arch *arch_without_xml(void *t)
{
	(void)t;
	static struct gdb_arch no_xml;
	no_xml = fake_arch;
	no_xml.target_xml = NULL;
	return &no_xml;
}

static void qsupported_without_xml(void **state)
{
	struct ctx *c = *state;
	c->ops.arch = arch_without_xml;
	const char *r = send(c, "qSupported");
	assert_null(strstr(r, "features"));
	assert_non_null(strstr(r, "PacketSize=40000"));
	assert_string_equal(send(c, "qXfer:features:read:target.xml:0,100"),
			    "E00");
}

static void unknown_packets_get_empty_reply(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "qNonsense"), "");
	assert_string_equal(send(c, "Z0,1000,1"), "");
	assert_string_equal(send(c, "vFile:open:x"), "");
	assert_string_equal(send(c, "qXfer:auxv:read::0,100"), "");
	/* A name too long for the table is just unknown. */
	assert_string_equal(send(c, "qAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
			    "");
	assert_true(c->keep);
}

static void ack_mode_and_no_ack_switch(void **state)
{
	struct ctx *c = *state;
	c->s.no_ack = false;
	assert_string_equal(send(c, "qAttached"), "1");
	assert_int_equal(c->acks, 1);
	assert_string_equal(send(c, "QStartNoAckMode"), "OK");
	assert_int_equal(c->acks, 1); /* the request itself is still acked */
	assert_true(c->s.no_ack);
	assert_string_equal(send(c, "qAttached"), "1");
	assert_int_equal(c->acks, 0);
}

static void nak_resends_last_packet(void **state)
{
	struct ctx *c = *state;
	c->s.no_ack = false;
	send(c, "qC");
	send_event(c, RSP_EV_NAK, NULL, 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->reply[0], "QC1");
	/* A corrupt packet gets '-' in ack mode... */
	send_event(c, RSP_EV_BAD_CHECKSUM, NULL, 0);
	assert_int_equal(c->n, 0);
	assert_int_equal(c->naks, 1);
}

static void dropped_packets_in_no_ack_mode(void **state)
{
	struct ctx *c = *state;
	/* ...and an error reply without acks, so gdb is not left waiting. */
	send_event(c, RSP_EV_OVERSIZE, NULL, 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->reply[0], "E27");
	send_event(c, RSP_EV_BAD_CHECKSUM, NULL, 0);
	assert_string_equal(c->reply[0], "E22");
	assert_true(c->keep);
}

/* An interrupt while stopped (always, here) gets no reply: one would be
 * read as the reply to the next packet. */
static void interrupt_gets_no_reply(void **state)
{
	struct ctx *c = *state;
	send(c, "Hg2");
	send_event(c, RSP_EV_INTERRUPT, NULL, 0);
	assert_int_equal(c->n, 0);
	assert_string_equal(send(c, "vCont?"), "vCont;c;C;s;S");
}

/* A target that controls the VM (--control): a stand-in run state. */
static bool vm_running;
static unsigned vm_resumes, vm_detach_resumes, vm_stops;

static int ctl_resume(void *t, bool detaching)
{
	(void)t;
	if (detaching)
		vm_detach_resumes++;
	else
		vm_resumes++;
	vm_running = true;
	return 0;
}

static int ctl_stop(void *t)
{
	(void)t;
	vm_stops++;
	vm_running = false;
	return 0;
}

/* continue runs the VM and waits; the interrupt stops it and is the
 * answer (T02); detach resumes what the interrupt stopped; a step still
 * answers at once. */
static void control_continue_interrupt_detach(void **state)
{
	struct ctx *c = *state;
	c->ops.vm_resume = ctl_resume;
	c->ops.vm_stop = ctl_stop;
	vm_running = false;
	vm_resumes = vm_detach_resumes = vm_stops = 0;
	send(c, "Hg2");
	send_event(c, RSP_EV_PACKET, "vCont;c", 7);
	assert_int_equal(c->n, 0); /* no stop reply while it runs */
	assert_true(vm_running && vm_resumes == 1);
	send_event(c, RSP_EV_INTERRUPT, NULL, 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->reply[0], "T02thread:02;");
	assert_true(!vm_running && vm_stops == 1);
	/* A second interrupt, nothing running: no reply. */
	send_event(c, RSP_EV_INTERRUPT, NULL, 0);
	assert_int_equal(c->n, 0);
	/* A step cannot run: answered at once, the VM untouched. */
	assert_string_equal(send(c, "vCont;s:2"), "T05thread:02;");
	assert_int_equal(vm_resumes, 1);
	assert_string_equal(send(c, "D"), "OK");
	assert_int_equal(vm_detach_resumes, 1);
	/* c resumes too. */
	send_event(c, RSP_EV_PACKET, "c", 1);
	assert_int_equal(c->n, 0);
	assert_int_equal(vm_resumes, 2);
	/* The target refusing control: the old immediate stop reply. */
	c->ops.vm_resume = NULL;
	c->s.running = false;
	assert_string_equal(send(c, "c"), "T05thread:01;"); /* D reset Hg */
}

/* m reads as the thread selected with Hg sees memory. */
static unsigned long long read_as_tid;
static size_t read_as(void *t, uint32_t tid, uint64_t addr, void *buf,
		      size_t len)
{
	read_as_tid = tid;
	return fake_read(t, addr, buf, len);
}

static void memory_as_thread(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem_as = read_as;
	send(c, "Hg2");
	send(c, "m10000,4");
	assert_int_equal(read_as_tid, 2);
	send(c, "Hg1");
	send(c, "x10000,4");
	assert_int_equal(read_as_tid, 1);
}

static void thread_selection(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "Hg0"), "OK");
	assert_string_equal(send(c, "qC"), "QC1");
	assert_string_equal(send(c, "Hg2"), "OK");
	assert_string_equal(send(c, "qC"), "QC2");
	assert_string_equal(send(c, "?"), "T05thread:02;");
	assert_string_equal(send(c, "Hc-1"), "OK");
	assert_string_equal(send(c, "Hgp1.1"), "OK");
	assert_string_equal(send(c, "qC"), "QC1");
	assert_string_equal(send(c, "Hg3"), "E03");
	assert_string_equal(send(c, "Hc7fffffff"), "E03");
	assert_string_equal(send(c, "Hgzz"), "E22");
	assert_string_equal(send(c, "Hx1"), "E22");
	assert_string_equal(send(c, "H"), "E22");
	assert_string_equal(send(c, "Hg10000000000000000"), "E22");
	assert_string_equal(send(c, "qC"), "QC1"); /* unchanged by errors */
}

static void thread_alive(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "T1"), "OK");
	assert_string_equal(send(c, "T2"), "OK");
	assert_string_equal(send(c, "T3"), "E03");
	assert_string_equal(send(c, "T0"), "E03");
	assert_string_equal(send(c, "T"), "E22");
}

static void thread_lists(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "qfThreadInfo"), "m1,2");
	assert_string_equal(send(c, "qsThreadInfo"), "l");
	assert_string_equal(send(c, "qsThreadInfo"), "l");
	assert_string_equal(send(c, "qfThreadInfo"), "m1,2");
}

static unsigned many_threads(void *t, uint32_t *ids, unsigned max)
{
	(void)t;
	unsigned n = 0;
	for (uint32_t tid = 1; tid <= 100000 && n < max; tid++)
		ids[n++] = tid;
	return n;
}

static void thread_list_is_chunked(void **state)
{
	struct ctx *c = *state;
	c->ops.thread_ids = many_threads;
	const char *r = send(c, "qfThreadInfo");
	unsigned seen = 0, expect = 1;
	for (int round = 0; round < 10 && r[0] == 'm'; round++) {
		assert_true(strlen(r) <= RSP_PACKET_SIZE);
		const char *p = r + 1;
		while (*p) {
			unsigned long id = strtoul(p, (char **)&p, 16);
			assert_int_equal(id, expect);
			expect++;
			seen++;
			if (*p == ',')
				p++;
		}
		r = send(c, "qsThreadInfo");
	}
	assert_string_equal(r, "l");
	assert_int_equal(seen, 100000);
}

static void thread_extra_info(void **state)
{
	struct ctx *c = *state;
	char want[64];
	const char text[] = "cpu1 \x01";
	hex_encode(want, text, strlen(text));
	want[2 * strlen(text)] = '\0';
	assert_string_equal(send(c, "qThreadExtraInfo,2"), want);
	assert_string_equal(send(c, "qThreadExtraInfo,3"), "E03");
	assert_string_equal(send(c, "qThreadExtraInfo,"), "E22");
}

static void xfer_target_xml_paged(void **state)
{
	struct ctx *c = *state;
	/* The fake document holds *$#} to check escaping on the wire. */
	const char *xml = fake_arch.target_xml;
	send(c, "qXfer:features:read:target.xml:0,a");
	assert_int_equal(c->len[0], 11);
	assert_int_equal(c->reply[0][0], 'm');
	assert_memory_equal(c->reply[0] + 1, xml, 10);
	char pkt[64];
	snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,1000",
		 strlen(xml) - 5);
	send(c, pkt);
	assert_int_equal(c->reply[0][0], 'l');
	assert_string_equal(c->reply[0] + 1, xml + strlen(xml) - 5);
	assert_string_equal(send(c, "qXfer:features:read:target.xml:fff,a"),
			    "l");
	assert_string_equal(send(c, "qXfer:features:read:other.xml:0,10"),
			    "E00");
	assert_string_equal(send(c, "qXfer:features:read:target.xml:0"),
			    "E22");
	assert_string_equal(send(c, "qXfer:features:write:target.xml:0,1"),
			    "E22");
}

static void xfer_threads(void **state)
{
	struct ctx *c = *state;
	const char *r = send(c, "qXfer:threads:read::0,ffff");
	assert_string_equal(r,
		"l<?xml version=\"1.0\"?>\n<threads>\n"
		"<thread id=\"1\" name=\"swapper/0\">cpu0 ?</thread>\n"
		"<thread id=\"2\" name=\"kw&lt;&amp;&gt;&quot;x&apos;\">"
		"cpu1 ?</thread>\n</threads>\n");
	/* Paging: small pieces reassemble into the same document. */
	char doc[1024] = "";
	for (unsigned off = 0, round = 0; round < 100; round++) {
		char pkt[64];
		snprintf(pkt, sizeof(pkt), "qXfer:threads:read::%x,7", off);
		r = send(c, pkt);
		strcat(doc, r + 1);
		off += (unsigned)strlen(r + 1);
		if (r[0] == 'l')
			break;
		assert_int_equal(r[0], 'm');
	}
	assert_string_equal(doc, "<?xml version=\"1.0\"?>\n<threads>\n"
		"<thread id=\"1\" name=\"swapper/0\">cpu0 ?</thread>\n"
		"<thread id=\"2\" name=\"kw&lt;&amp;&gt;&quot;x&apos;\">"
		"cpu1 ?</thread>\n</threads>\n");
	assert_string_equal(send(c, "qXfer:threads:read:x:0,10"), "E00");
}

static void registers_g(void **state)
{
	struct ctx *c = *state;
	/* r0 little endian, r1, then 10 unknown bytes of st. */
	assert_string_equal(send(c, "g"), "8877665544332211" "efbeadde"
					  "xxxxxxxxxxxxxxxxxxxx");
	send(c, "Hg2");
	assert_string_equal(send(c, "g"), "0200000000000000" "efbeadde"
					  "xxxxxxxxxxxxxxxxxxxx");
}

static void registers_p(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "p0"), "8877665544332211");
	assert_string_equal(send(c, "p1"), "efbeadde");
	assert_string_equal(send(c, "p2"), "xxxxxxxxxxxxxxxxxxxx");
	assert_string_equal(send(c, "p3"), "E02");
	assert_string_equal(send(c, "pffffffffffffffff"), "E02");
	assert_string_equal(send(c, "p"), "E22");
	assert_string_equal(send(c, "pq"), "E22");
}

static void register_writes_refused(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "G00"), "E30");
	assert_string_equal(send(c, "P0=1122334455667788"), "E30");
}

static void expect_hex_of_fake(const char *r, uint64_t addr, size_t len)
{
	assert_int_equal(strlen(r), 2 * len);
	for (size_t i = 0; i < len; i++) {
		char want[3];
		snprintf(want, sizeof(want), "%02x", fake_byte(addr + i));
		if (memcmp(r + 2 * i, want, 2) != 0)
			fail_msg("byte %zu: %.2s != %s", i, r + 2 * i, want);
	}
}

static void memory_reads(void **state)
{
	struct ctx *c = *state;
	expect_hex_of_fake(send(c, "m10000,10"), 0x10000, 16);
	expect_hex_of_fake(send(c, "m1fff0,10"), 0x1fff0, 16);
	/* Partial: stops at the hole or the end. */
	expect_hex_of_fake(send(c, "m13ff8,100"), 0x13ff8, 8);
	expect_hex_of_fake(send(c, "m1fffc,100"), 0x1fffc, 4);
	/* Nothing readable. */
	assert_string_equal(send(c, "m14000,10"), "E14");
	assert_string_equal(send(c, "m0,1"), "E14");
	assert_string_equal(send(c, "mffffffffffffffff,10"), "E14");
	assert_string_equal(send(c, "m10000,0"), "");
	/* Malformed. */
	assert_string_equal(send(c, "m10000"), "E22");
	assert_string_equal(send(c, "m10000,"), "E22");
	assert_string_equal(send(c, "m,10"), "E22");
	assert_string_equal(send(c, "m10000,10,"), "E22");
	assert_string_equal(send(c, "m1g,10"), "E22");
	assert_string_equal(send(c, "m10000000000000000,1"), "E22");
}

static void memory_read_clamped_to_packet(void **state)
{
	struct ctx *c = *state;
	/* A huge length gets what fits one packet, here all 16 KiB up to
	 * the hole. */
	const char *r = send(c, "m10000,ffffffffffffffff");
	expect_hex_of_fake(r, 0x10000, 0x4000);
	r = send(c, "m15000,40000"); /* 0x40000 > packet/2 = 0x20000 */
	expect_hex_of_fake(r, 0x15000, 0xb000);
}

static size_t big_read(void *t, uint64_t addr, void *buf, size_t len)
{
	(void)t;
	memset(buf, (int)(addr & 0xff), len);
	return len;
}

static void memory_read_full_packet(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = big_read;
	const char *r = send(c, "m42,100000");
	assert_int_equal(strlen(r), RSP_PACKET_SIZE);
	assert_memory_equal(r, "4242", 4);
	assert_memory_equal(r + RSP_PACKET_SIZE - 4, "4242", 4);
}

/* An x reply, decoded (escapes undone): 'b' and the fake's bytes. */
static void expect_bin_of_fake(struct ctx *c, const char *r, uint64_t addr,
			       size_t len)
{
	assert_int_equal(c->len[c->n - 1], 1 + len);
	assert_int_equal(r[0], 'b');
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)r[1 + i] != fake_byte(addr + i))
			fail_msg("byte %zu: %02x != %02x", i,
				 (unsigned char)r[1 + i], fake_byte(addr + i));
}

static void memory_reads_x(void **state)
{
	struct ctx *c = *state;
	/* The fake's bytes cover all 256 values: these reads carry bytes
	 * that must be escaped (the decoder in collect() undoes them). */
	unsigned specials = 0;
	for (uint64_t a = 0x10000; a < 0x11000; a++)
		specials += strchr("$#}*", fake_byte(a)) && fake_byte(a);
	assert_true(specials > 0);
	expect_bin_of_fake(c, send(c, "x10000,1000"), 0x10000, 0x1000);
	expect_bin_of_fake(c, send(c, "x1fff0,10"), 0x1fff0, 16);
	/* Partial: stops at the hole or the end. */
	expect_bin_of_fake(c, send(c, "x13ff8,100"), 0x13ff8, 8);
	expect_bin_of_fake(c, send(c, "x1fffc,100"), 0x1fffc, 4);
	/* Nothing readable at the start. */
	assert_string_equal(send(c, "x14000,10"), "E14");
	assert_string_equal(send(c, "x0,1"), "E14");
	assert_string_equal(send(c, "xffffffffffffffff,10"), "E14");
	/* Length 0: "b", not the empty "unsupported" reply. */
	assert_string_equal(send(c, "x10000,0"), "b");
	assert_int_equal(c->len[0], 1);
	assert_string_equal(send(c, "x14000,0"), "b");
	/* Malformed. */
	assert_string_equal(send(c, "x10000"), "E22");
	assert_string_equal(send(c, "x10000,"), "E22");
	assert_string_equal(send(c, "x,10"), "E22");
	assert_string_equal(send(c, "x10000,10,"), "E22");
	assert_string_equal(send(c, "x10000,10:"), "E22");
	assert_string_equal(send(c, "x1g,10"), "E22");
	assert_string_equal(send(c, "x10000000000000000,1"), "E22");
	assert_string_equal(send(c, "x10000,10000000000000000"), "E22");
}

static void memory_read_x_escapes_on_the_wire(void **state)
{
	struct ctx *c = *state;
	memcpy(c->fake.mem + 0x100, "$#}*a\0", 6);
	struct strbuf wire;
	strbuf_init(&wire, 1024);
	assert_true(rsp_session_event(&c->s, RSP_EV_PACKET, "x10100,6", 8,
				      &wire));
	const char want[] = "$b}\x04}\x03}]}\x0a" "a\0#";
	assert_int_equal(wire.len, sizeof(want) - 1 + 2);
	assert_memory_equal(wire.buf, want, sizeof(want) - 1);
	strbuf_free(&wire);
}

/* Memory filled with one byte value, given by fill_byte. */
static int fill_byte;
static size_t filled_read(void *t, uint64_t addr, void *buf, size_t len)
{
	(void)t;
	(void)addr;
	memset(buf, fill_byte, len);
	return len;
}

static void memory_read_x_huge_length(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = filled_read;
	fill_byte = 'A';
	/* Nothing to escape: the whole packet but the 'b' is data. */
	const char *r = send(c, "x42,ffffffffffffffff");
	assert_int_equal(c->len[0], RSP_PACKET_SIZE);
	assert_int_equal(r[0], 'b');
	assert_int_equal(r[1], 'A');
	assert_int_equal(r[RSP_PACKET_SIZE - 1], 'A');
	/* Up to the top of the address space, not past it. */
	r = send(c, "xfffffffffffffff0,100");
	assert_int_equal(c->len[0], 1 + 16);
	r = send(c, "xffffffffffffffff,100");
	assert_int_equal(c->len[0], 1 + 1);
}

static void memory_read_x_short_when_escapes_fill_the_packet(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = filled_read;
	/* Every byte escaped: half the packet's bytes, in whole pairs. */
	fill_byte = '*';
	const char *r = send(c, "x1000,40000");
	size_t got = c->len[0] - 1;
	assert_int_equal(got, (RSP_PACKET_SIZE - 1) / 2);
	assert_int_equal(r[0], 'b');
	for (size_t i = 0; i < got; i++)
		assert_int_equal(r[1 + i], '*');
	/* A small read that fits comes back whole. */
	send(c, "x1000,100");
	assert_int_equal(c->len[0], 1 + 0x100);
}

/* All 'A' but one '#' at the packet's last data byte: its escape pair
 * would not fit, so the reply ends before it. */
static size_t hash_at_end(void *t, uint64_t addr, void *buf, size_t len)
{
	(void)t;
	memset(buf, 'A', len);
	uint64_t hash = 0x1000 + RSP_PACKET_SIZE - 2;
	if (hash >= addr && hash < addr + len)
		((char *)buf)[hash - addr] = '#';
	return len;
}

static void memory_read_x_never_splits_an_escape(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = hash_at_end;
	const char *r = send(c, "x1000,40000");
	assert_int_equal(c->len[0], 1 + RSP_PACKET_SIZE - 2);
	assert_int_equal(r[c->len[0] - 1], 'A');
	/* gdb asks again from there and gets the '#'. */
	char pkt[32];
	snprintf(pkt, sizeof(pkt), "x%x,10", 0x1000 + RSP_PACKET_SIZE - 2);
	r = send(c, pkt);
	assert_int_equal(c->len[0], 1 + 0x10);
	assert_int_equal(r[1], '#');
}

/* A target that claims more than it was asked for. */
static size_t overclaiming_read(void *t, uint64_t addr, void *buf,
				size_t len)
{
	filled_read(t, addr, buf, len);
	return len + 100;
}

static void memory_read_x_trusts_no_overlong_count(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = overclaiming_read;
	fill_byte = 'z';
	send(c, "x1000,10");
	assert_int_equal(c->len[0], 1 + 0x10);
	assert_string_equal(send(c, "m1000,4"), "7a7a7a7a");
}

static void memory_write_M(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "M10010,3:a1b2c3"), "OK");
	assert_memory_equal(c->fake.mem + 0x10, "\xa1\xb2\xc3", 3);
	expect_hex_of_fake(send(c, "m10000,10"), 0x10000, 16) ;
}

static void memory_write_M_replies_data(void **state)
{
	struct ctx *c = *state;
	send(c, "M10010,2:0102");
	assert_string_equal(send(c, "m10010,2"), "0102");
	/* Length and data must agree exactly. */
	assert_string_equal(send(c, "M10010,2:01"), "E22");
	assert_string_equal(send(c, "M10010,2:010203"), "E22");
	assert_string_equal(send(c, "M10010,1:0g"), "E22");
	assert_string_equal(send(c, "M10010,1"), "E22");
	assert_string_equal(send(c, "M10010,ffffffff:00"), "E27");
	/* Failing writes. */
	assert_string_equal(send(c, "M14000,1:00"), "E05");
	c->fake.writable = false;
	assert_string_equal(send(c, "M10010,1:00"), "E05");
	c->ops.write_mem = NULL;
	assert_string_equal(send(c, "M10010,1:00"), "E30");
}

static void memory_write_X(void **state)
{
	struct ctx *c = *state;
	/* The decoder has undone escapes already: data is raw binary. */
	const char pkt[] = "X10020,4:#$\0*";
	assert_string_equal(send_n(c, pkt, sizeof(pkt) - 1), "OK");
	assert_memory_equal(c->fake.mem + 0x20, "#$\0*", 4);
	assert_string_equal(send(c, "X10020,0:"), "OK");
	assert_string_equal(send(c, "X10020,2:a"), "E22");
	assert_string_equal(send(c, "X10020,1:ab"), "E22");
	assert_string_equal(send(c, "X14000,1:a"), "E05");
	c->ops.write_mem = NULL;
	/* No writer: the probe gets "unsupported", so gdb falls back to M. */
	assert_string_equal(send(c, "X10020,0:"), "");
	assert_string_equal(send(c, "X10020,1:a"), "E30");
}

static char *search_packet(uint64_t addr, uint64_t len, const char *pat,
			   size_t pat_len, size_t *out_len)
{
	static char pkt[8192];
	int n = snprintf(pkt, sizeof(pkt), "qSearch:memory:%llx;%llx;",
			 (unsigned long long)addr, (unsigned long long)len);
	memcpy(pkt + n, pat, pat_len);
	*out_len = (size_t)n + pat_len;
	return pkt;
}

static void search_memory(void **state)
{
	struct ctx *c = *state;
	size_t n;
	char *p;
	/* Plant a needle across the search window border: the window is
	 * RSP_SCRATCH_SIZE bytes, far bigger than the fake, so use a small
	 * memory region by moving the needle around instead. */
	memcpy(c->fake.mem + 0x3000, "NEEDLE", 6);
	p = search_packet(0x10000, 0x4000, "NEEDLE", 6, &n);
	assert_string_equal(send_n(c, p, n), "1,13000");
	/* Not within the range. */
	p = search_packet(0x10000, 0x3005, "NEEDLE", 6, &n);
	assert_string_equal(send_n(c, p, n), "0");
	/* Huge length: stops at the hole without finding it. */
	p = search_packet(0x10000, 0xffffffff, "\xfe\xfe\xfe\xfe\xfe", 5, &n);
	assert_string_equal(send_n(c, p, n), "0");
	/* Starts in a hole. */
	p = search_packet(0x14000, 0x100, "N", 1, &n);
	assert_string_equal(send_n(c, p, n), "0");
	/* Malformed or unbounded input. */
	assert_string_equal(send(c, "qSearch:memory:10000;10;"), "E22");
	assert_string_equal(send(c, "qSearch:memory:10000;10"), "E22");
	assert_string_equal(send(c, "qSearch:memory:;10;a"), "E22");
	assert_string_equal(send(c, "qSearch:code:1;1;a"), "E22");
	char big[5000];
	memset(big, 'a', sizeof(big));
	p = search_packet(0x10000, 0x10, big, sizeof(big), &n);
	assert_string_equal(send_n(c, p, n), "E27");
	p = search_packet(0x10000, 0x200000000ull, "a", 1, &n);
	assert_string_equal(send_n(c, p, n), "E27");
}

/* Memory that is all zeros except a needle straddling two windows. */
static uint64_t needle_at;
static size_t zero_mem_with_needle(void *t, uint64_t addr, void *buf,
				   size_t len)
{
	(void)t;
	static const char needle[] = "BORDER";
	memset(buf, 0, len);
	for (size_t i = 0; i < 6; i++)
		if (needle_at + i >= addr && needle_at + i < addr + len)
			((char *)buf)[needle_at + i - addr] = needle[i];
	return len;
}

static void search_across_window_border(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = zero_mem_with_needle;
	size_t n;
	char *p;
	/* Each window holds RSP_SCRATCH_SIZE new bytes at first, then
	 * RSP_SCRATCH_SIZE - 5; try spots around both borders. */
	const uint64_t base = 0x100000;
	const uint64_t spots[] = {
		RSP_SCRATCH_SIZE - 3, RSP_SCRATCH_SIZE - 6, RSP_SCRATCH_SIZE,
		2 * RSP_SCRATCH_SIZE - 5 - 2, 5 * RSP_SCRATCH_SIZE,
	};
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		needle_at = base + spots[i];
		p = search_packet(base, 8 * RSP_SCRATCH_SIZE, "BORDER", 6, &n);
		char want[32];
		snprintf(want, sizeof(want), "1,%llx",
			 (unsigned long long)needle_at);
		assert_string_equal(send_n(c, p, n), want);
	}
}

/* Window k (from 0) of a search for a 6-byte needle reads STEP new
 * bytes: the window less the 5 kept from the one before. */
#define WINDOW (128u << 10)
#define STEP (WINDOW - 5)

/* One window per slice: the search gives the caller back control after
 * each, the reply comes with the slice that finds the needle, and a
 * needle across two windows (two slices) is found. */
static void search_is_sliced(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = zero_mem_with_needle;
	c->s.slice_windows = 1;
	const uint64_t base = 0x100000;
	needle_at = base + 3 * STEP - 3; /* windows 2 and 3 */
	size_t n;
	char *p = search_packet(base, 8 * WINDOW, "BORDER", 6, &n);
	clear_replies(c);
	assert_true(rsp_session_event(&c->s, RSP_EV_PACKET, p, n, &c->out));
	/* Window 0 ran in the handler; no reply yet. */
	assert_true(rsp_session_busy(&c->s));
	assert_int_equal(c->out.len, 0);
	for (int k = 1; k <= 2; k++) {
		assert_true(rsp_session_resume(&c->s, &c->out));
		assert_true(rsp_session_busy(&c->s));
		assert_int_equal(c->out.len, 0);
	}
	assert_true(rsp_session_resume(&c->s, &c->out)); /* window 3 */
	assert_false(rsp_session_busy(&c->s));
	collect(c);
	assert_int_equal(c->n, 1);
	char want[32];
	snprintf(want, sizeof(want), "1,%llx", (unsigned long long)needle_at);
	assert_string_equal(c->reply[0], want);
	/* Not there: every window is a slice, then "0". */
	needle_at = base + 8 * WINDOW;
	p = search_packet(base, 4 * STEP, "BORDER", 6, &n);
	assert_string_equal(send_n(c, p, n), "0");
	assert_int_equal(c->slices, 3);
	/* Needles right at, before and after each window border. */
	for (uint64_t k = 1; k < 4; k++) {
		for (uint64_t d = 0; d < 7; d++) {
			needle_at = base + k * STEP - d;
			p = search_packet(base, 8 * WINDOW, "BORDER", 6, &n);
			snprintf(want, sizeof(want), "1,%llx",
				 (unsigned long long)needle_at);
			assert_string_equal(send_n(c, p, n), want);
			/* Found in the window that holds its last byte. */
			assert_int_equal(c->slices, (needle_at + 5 - base) / STEP);
		}
	}
}

/* The time budget ends a slice too: with none, each slice is one window. */
static void search_slice_time_budget(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = zero_mem_with_needle;
	c->s.slice_ns = 0;
	const uint64_t base = 0x100000;
	needle_at = base + 5 * STEP + 100;
	size_t n;
	char *p = search_packet(base, 8 * WINDOW, "BORDER", 6, &n);
	char want[32];
	snprintf(want, sizeof(want), "1,%llx", (unsigned long long)needle_at);
	assert_string_equal(send_n(c, p, n), want);
	assert_int_equal(c->slices, 5);
	/* A big budget: the whole search in the handler's slice. */
	c->s.slice_ns = UINT64_MAX;
	assert_string_equal(send_n(c, p, n), want);
	assert_int_equal(c->slices, 0);
}

/* Ack mode: the packet is acked at once, the reply comes later and is
 * what a '-' resends. Input fed while busy finishes the search first. */
static void search_sliced_in_ack_mode(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = zero_mem_with_needle;
	c->s.no_ack = false;
	c->s.slice_windows = 1;
	const uint64_t base = 0x100000;
	needle_at = base + 2 * STEP;
	size_t n;
	char *p = search_packet(base, 8 * WINDOW, "BORDER", 6, &n);
	clear_replies(c);
	assert_true(rsp_session_event(&c->s, RSP_EV_PACKET, p, n, &c->out));
	collect(c);
	assert_int_equal(c->acks, 1);
	assert_int_equal(c->n, 0);
	/* An m behind it: the search's reply first, then the m's. */
	send(c, "m10000,2");
	assert_false(rsp_session_busy(&c->s));
	assert_int_equal(c->n, 2);
	char want[32];
	snprintf(want, sizeof(want), "1,%llx", (unsigned long long)needle_at);
	assert_string_equal(c->reply[0], want);
	assert_string_equal(c->reply[1], "0000");
	/* A pending search's reply is resent on '-' like any other. */
	c->ops.read_mem = zero_mem_with_needle;
	clear_replies(c);
	assert_true(rsp_session_event(&c->s, RSP_EV_PACKET, p, n, &c->out));
	while (rsp_session_busy(&c->s))
		assert_true(rsp_session_resume(&c->s, &c->out));
	send_event(c, RSP_EV_NAK, NULL, 0);
	assert_int_equal(c->n, 2); /* the reply, then it again */
	assert_string_equal(c->reply[0], want);
	assert_string_equal(c->reply[1], want);
}

/* A session dropped in the middle of a search frees it. */
static void search_dropped_midway(void **state)
{
	struct ctx *c = *state;
	c->ops.read_mem = zero_mem_with_needle;
	c->s.slice_windows = 1;
	needle_at = 0;
	size_t n;
	char *p = search_packet(0x100000, 8 * WINDOW, "BORDER", 6, &n);
	assert_true(rsp_session_event(&c->s, RSP_EV_PACKET, p, n, &c->out));
	assert_true(rsp_session_busy(&c->s));
	/* teardown frees the session: valgrind and ASan see no leak */
}

/* Listings are shared: each call takes a new one with one more thread. */
static unsigned listings_taken;
static unsigned growing_threads(void *t, uint32_t *ids, unsigned max)
{
	(void)t;
	listings_taken++;
	unsigned n = 0;
	for (uint32_t tid = 1; tid <= listings_taken + 1 && n < max; tid++)
		ids[n++] = tid;
	return n;
}

/* Sends pkt through another session of the same server (same target and
 * listings). */
static const char *send_other(struct ctx *c, struct rsp_session *other,
			      const char *pkt)
{
	struct rsp_session mine = c->s;
	c->s = *other;
	send(c, pkt);
	*other = c->s;
	c->s = mine;
	return c->reply[c->n - 1];
}

/* Threads in a qXfer:threads document. */
static unsigned xml_threads(const char *doc)
{
	unsigned n = 0;
	for (const char *p = doc; (p = strstr(p, "<thread id=")); p++)
		n++;
	return n;
}

static void listings_shared_between_sessions(void **state)
{
	struct ctx *c = *state;
	char err[ERR_LEN];
	struct rsp_session b;
	assert_int_equal(rsp_session_init(&b, &c->target, &c->threads, err), 0);
	b.no_ack = true;
	c->ops.thread_ids = growing_threads;
	c->threads.fresh_ns = UINT64_MAX;
	listings_taken = 0;
	assert_string_equal(send(c, "qfThreadInfo"), "m1,2");
	assert_int_equal(listings_taken, 1);
	/* b has seen none: it gets a's. */
	assert_string_equal(send_other(c, &b, "qfThreadInfo"), "m1,2");
	assert_int_equal(listings_taken, 1);
	/* a has seen that one: a new one, which b then shares. */
	assert_string_equal(send(c, "qfThreadInfo"), "m1,2,3");
	assert_int_equal(listings_taken, 2);
	const char *r = send_other(c, &b, "qXfer:threads:read::0,ffff");
	assert_int_equal(r[0], 'l');
	assert_int_equal(xml_threads(r), 3);
	assert_int_equal(listings_taken, 2);
	r = send_other(c, &b, "qXfer:threads:read::0,ffff");
	assert_int_equal(xml_threads(r), 4);
	assert_int_equal(listings_taken, 3);
	/* A stale one is never handed on. */
	c->threads.fresh_ns = 0;
	assert_string_equal(send(c, "qfThreadInfo"), "m1,2,3,4,5");
	assert_string_equal(send_other(c, &b, "qfThreadInfo"),
			    "m1,2,3,4,5,6");
	assert_int_equal(listings_taken, 5);
	/* Each session let its listing go with its last packet: only the
	 * shared latest remains, held once. */
	assert_string_equal(send(c, "qsThreadInfo"), "l");
	assert_string_equal(send_other(c, &b, "qsThreadInfo"), "l");
	assert_null(c->s.listing);
	assert_null(b.listing);
	assert_int_equal(c->threads.latest->refs, 1);
	rsp_session_free(&b);
}

/* A session paging a document keeps its listing while newer ones are
 * taken for others: its pieces make one consistent document. */
static void listing_kept_while_paged(void **state)
{
	struct ctx *c = *state;
	char err[ERR_LEN];
	struct rsp_session b;
	assert_int_equal(rsp_session_init(&b, &c->target, &c->threads, err), 0);
	b.no_ack = true;
	c->ops.thread_ids = growing_threads;
	c->threads.fresh_ns = 0;
	listings_taken = 0;
	char doc[4096] = "";
	const char *r = send(c, "qXfer:threads:read::0,10");
	assert_int_equal(r[0], 'm');
	strcat(doc, r + 1);
	struct rsp_thread_list *mine = c->s.listing;
	assert_non_null(mine);
	assert_int_equal(mine->refs, 2); /* a's, and the shared latest */
	/* b takes newer listings meanwhile. */
	for (int i = 0; i < 3; i++) {
		r = send_other(c, &b, "qXfer:threads:read::0,ffff");
		assert_int_equal(r[0], 'l');
		assert_int_equal(xml_threads(r), i + 3);
	}
	assert_int_equal(mine->refs, 1); /* only a holds it now */
	r = "m";
	for (int round = 0; round < 100 && r[0] != 'l'; round++) {
		char pkt[64];
		snprintf(pkt, sizeof(pkt), "qXfer:threads:read::%zx,10",
			 strlen(doc));
		r = send(c, pkt);
		strcat(doc, r + 1);
	}
	assert_int_equal(r[0], 'l');
	assert_int_equal(xml_threads(doc), 2);
	assert_non_null(strstr(doc, "</threads>\n"));
	assert_null(c->s.listing); /* let go with the last piece */
	assert_int_equal(listings_taken, 4);
	rsp_session_free(&b);
}

/* The largest listing allowed, every thread with the longest name and
 * description and an 8-digit id: the document is exactly the cap. */
static unsigned most_threads(void *t, uint32_t *ids, unsigned max)
{
	(void)t;
	unsigned n = 0;
	for (unsigned i = 0; i < RSP_MAX_THREADS && n < max; i++)
		ids[n++] = 0xf0000000u + i;
	return n;
}

static void long_text(void *t, uint32_t tid, char *buf, size_t len)
{
	(void)t, (void)tid;
	memset(buf, 'a', len); /* the caller terminates it */
}

static void escaped_text(void *t, uint32_t tid, char *buf, size_t len)
{
	(void)t, (void)tid;
	memset(buf, tid & 1 ? '&' : '<', len);
}

static void xml_cap_fits_largest_listing(void **state)
{
	struct ctx *c = *state;
	c->ops.thread_ids = most_threads;
	c->ops.thread_name = long_text;
	c->ops.thread_extra = long_text;
	char pkt[96];
	const size_t head = sizeof(RSP_XML_HEAD) - 1;
	snprintf(pkt, sizeof(pkt), "qXfer:threads:read::%zx,%zx", head,
		 (size_t)RSP_XML_ENTRY_MAX);
	const char *r = send(c, pkt);
	assert_int_equal(r[0], 'm');
	char want[RSP_XML_ENTRY_MAX + 1];
	snprintf(want, sizeof(want), "<thread id=\"f0000000\" name=\"%.*s\">"
		 "%.*s</thread>\n", RSP_XML_NAME_MAX,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 RSP_XML_EXTRA_MAX, "");
	/* The description: RSP_XML_EXTRA_MAX a's. */
	char *gt = strchr(want, '>');
	memset(gt + 1, 'a', RSP_XML_EXTRA_MAX);
	strcpy(gt + 1 + RSP_XML_EXTRA_MAX, "</thread>\n");
	assert_int_equal(strlen(want), RSP_XML_ENTRY_MAX);
	assert_string_equal(r + 1, want);
	/* It ends right at the cap. */
	snprintf(pkt, sizeof(pkt), "qXfer:threads:read::%zx,1000",
		 (size_t)RSP_THREADS_XML_MAX - 11);
	assert_string_equal(send(c, pkt), "l</threads>\n");
	/* Escapes count against the cap and are never cut in half. */
	c->ops.thread_ids = fake_thread_ids;
	c->ops.thread_name = escaped_text;
	c->ops.thread_extra = escaped_text;
	r = send(c, "qXfer:threads:read::0,fff");
	/* Thread 1: '&' as "&amp;" (5 bytes), thread 2: '<' as "&lt;". */
	char name1[128] = "", extra1[256] = "", name2[128] = "",
	     extra2[256] = "";
	for (int i = 0; i < RSP_XML_NAME_MAX / 5; i++)
		strcat(name1, "&amp;");
	for (int i = 0; i < RSP_XML_EXTRA_MAX / 5; i++)
		strcat(extra1, "&amp;");
	for (int i = 0; i < RSP_XML_NAME_MAX / 4; i++)
		strcat(name2, "&lt;");
	for (int i = 0; i < RSP_XML_EXTRA_MAX / 4; i++)
		strcat(extra2, "&lt;");
	char entry[1024];
	snprintf(entry, sizeof(entry),
		 "<thread id=\"1\" name=\"%s\">%s</thread>\n"
		 "<thread id=\"2\" name=\"%s\">%s</thread>\n", name1, extra1,
		 name2, extra2);
	assert_non_null(strstr(r, entry));
}

static void monitor(void **state)
{
	struct ctx *c = *state;
	char pkt[128] = "qRcmd,";
	hex_encode(pkt + 6, "help", 4);
	send(c, pkt);
	assert_int_equal(c->n, 2);
	char want[128] = "O";
	const char text[] = "commands: help big\n";
	hex_encode(want + 1, text, strlen(text));
	assert_string_equal(c->reply[0], want);
	assert_string_equal(c->reply[1], "OK");
	assert_string_equal(c->fake.last_monitor, "help");
	/* Empty command means help. */
	send(c, "qRcmd,");
	assert_string_equal(c->fake.last_monitor, "help");
	assert_string_equal(c->reply[c->n - 1], "OK");
	/* Unknown: the text, then an error. */
	hex_encode(pkt + 6, "bogus", 5);
	pkt[16] = '\0';
	send(c, pkt);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->reply[0][0], 'O');
	assert_string_equal(c->reply[1], "E01");
	/* Bad hex, embedded NUL. */
	assert_string_equal(send(c, "qRcmd,6"), "E22");
	assert_string_equal(send(c, "qRcmd,zz"), "E22");
	assert_string_equal(send(c, "qRcmd,680069"), "E22");
}

static void monitor_output_is_chunked(void **state)
{
	struct ctx *c = *state;
	char pkt[32] = "qRcmd,";
	hex_encode(pkt + 6, "big", 3);
	send(c, pkt);
	/* 300000 chars: three O packets of at most half a packet, OK */
	assert_int_equal(c->n, 4);
	size_t total = 0;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(c->reply[i][0], 'O');
		total += (c->len[i] - 1) / 2;
	}
	assert_int_equal(total, 300000);
	assert_string_equal(c->reply[3], "OK");
}

static void monitor_missing(void **state)
{
	struct ctx *c = *state;
	c->ops.monitor = NULL;
	send(c, "qRcmd,68656c70");
	assert_string_equal(c->reply[c->n - 1], "E01");
	assert_int_equal(c->reply[0][0], 'O');
}

static void resume_packets(void **state)
{
	struct ctx *c = *state;
	const char *const pkts[] = { "c", "C05", "s", "S05", "vCont;c",
				     "vCont;s:1;c" };
	char want[256] = "O";
	const char note[] = "lkstub: the guest runs on; a live-RAM stub "
			    "cannot stop, step or resume it\n";
	hex_encode(want + 1, note, strlen(note));
	want[1 + 2 * strlen(note)] = '\0';
	send(c, "Hg2");
	for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		send(c, pkts[i]);
		assert_int_equal(c->n, 2);
		assert_string_equal(c->reply[0], want);
		assert_string_equal(c->reply[1], "T05thread:02;");
	}
	assert_string_equal(send(c, "vCont?"), "vCont;c;C;s;S");
}

static void detach_and_kill(void **state)
{
	struct ctx *c = *state;
	assert_string_equal(send(c, "D"), "OK");
	assert_true(c->keep);
	assert_string_equal(send(c, "D;1"), "OK");
	assert_true(c->keep);
	send_event(c, RSP_EV_PACKET, "k", 1);
	assert_int_equal(c->n, 0); /* no reply to k */
	assert_false(c->keep);
}

static void output_cap_drops_client(void **state)
{
	struct ctx *c = *state;
	struct strbuf small;
	strbuf_init(&small, 64);
	assert_false(rsp_session_event(&c->s, RSP_EV_PACKET, "m10000,100", 10,
				       &small));
	strbuf_reset(&small);
	assert_false(rsp_session_event(&c->s, RSP_EV_PACKET, "x10000,100", 10,
				       &small));
	strbuf_free(&small);
}

/* The library list and the executable, for a target that has them; a
 * stop after a resume says `library:` when the list changed, `?` never. */
static struct strbuf libs_doc;
static bool libs_changed, libs_refreshed;

static const struct strbuf *fake_libraries(void *t, bool refresh)
{
	(void)t;
	libs_refreshed = refresh;
	return &libs_doc;
}

static const char *fake_exec_file(void *t)
{
	(void)t;
	return "/cache/lkstub-kernel";
}

static bool fake_libraries_changed(void *t)
{
	(void)t;
	return libs_changed;
}

static void xfer_libraries_and_exec_file(void **state)
{
	struct ctx *c = *state;
	c->ops.libraries = fake_libraries;
	c->ops.exec_file = fake_exec_file;
	c->ops.libraries_changed = fake_libraries_changed;
	strbuf_init(&libs_doc, 1 << 20);
	strbuf_printf(&libs_doc, "<library-list>\n");
	for (int i = 0; i < 4000; i++) /* more than one packet */
		strbuf_printf(&libs_doc, "<library name=\"/c/m%d#$}*\"/>\n", i);
	strbuf_printf(&libs_doc, "</library-list>\n");
	const char *r = send(c, "qSupported");
	assert_non_null(strstr(r, ";qXfer:libraries:read+"));
	assert_non_null(strstr(r, ";qXfer:exec-file:read+"));

	/* Read in slices, as gdb does; the target rebuilds at offset 0. */
	struct strbuf got;
	strbuf_init(&got, 1 << 20);
	size_t off = 0;
	for (int guard = 0; guard < 100; guard++) {
		char pkt[64];
		snprintf(pkt, sizeof(pkt), "qXfer:libraries:read::%zx,8000",
			 off);
		send(c, pkt);
		assert_true(libs_refreshed == (off == 0));
		const char *rep = c->reply[c->n - 1];
		size_t len = c->len[c->n - 1];
		assert_true(len >= 1 && (rep[0] == 'm' || rep[0] == 'l'));
		strbuf_append(&got, rep + 1, len - 1);
		off = got.len;
		if (rep[0] == 'l')
			break;
	}
	assert_int_equal(got.len, libs_doc.len);
	assert_memory_equal(got.buf, libs_doc.buf, got.len);
	strbuf_free(&got);
	assert_string_equal(send(c, "qXfer:libraries:read:x:0,10"), "E00");

	/* The annex is a process id; any gets the one executable. */
	assert_string_equal(send(c, "qXfer:exec-file:read:1:0,1000"),
			    "l/cache/lkstub-kernel");
	assert_string_equal(send(c, "qXfer:exec-file:read::5,3"), "me/l");

	libs_changed = true;
	assert_string_equal(send(c, "?"), "T05thread:01;");
	assert_string_equal(send(c, "c"), "T05thread:01;library:;");
	libs_changed = false;
	assert_string_equal(send(c, "c"), "T05thread:01;");
	strbuf_free(&libs_doc);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(handshake),
		T(qsupported_without_xml),
		T(unknown_packets_get_empty_reply),
		T(ack_mode_and_no_ack_switch),
		T(nak_resends_last_packet),
		T(dropped_packets_in_no_ack_mode),
		T(interrupt_gets_no_reply),
		T(control_continue_interrupt_detach),
		T(memory_as_thread),
		T(thread_selection),
		T(thread_alive),
		T(thread_lists),
		T(thread_list_is_chunked),
		T(thread_extra_info),
		T(xfer_target_xml_paged),
		T(xfer_threads),
		T(xfer_libraries_and_exec_file),
		T(registers_g),
		T(registers_p),
		T(register_writes_refused),
		T(memory_reads),
		T(memory_read_clamped_to_packet),
		T(memory_read_full_packet),
		T(memory_reads_x),
		T(memory_read_x_escapes_on_the_wire),
		T(memory_read_x_huge_length),
		T(memory_read_x_short_when_escapes_fill_the_packet),
		T(memory_read_x_never_splits_an_escape),
		T(memory_read_x_trusts_no_overlong_count),
		T(memory_write_M),
		T(memory_write_M_replies_data),
		T(memory_write_X),
		T(search_memory),
		T(search_across_window_border),
		T(search_is_sliced),
		T(search_slice_time_budget),
		T(search_sliced_in_ack_mode),
		T(search_dropped_midway),
		T(listings_shared_between_sessions),
		T(listing_kept_while_paged),
		T(xml_cap_fits_largest_listing),
		T(monitor),
		T(monitor_output_is_chunked),
		T(monitor_missing),
		T(resume_packets),
		T(detach_and_kill),
		T(output_cap_drops_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
