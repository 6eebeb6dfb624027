/* lkstub's side of a QMP conversation with a QEMU that may be anything:
 * qmp_ram_regions (translate/vmm_qmp.c) through the QMP client
 * (translate/qmp_client.c) with the fuzzer playing QEMU. The
 * reply lines (greeting, events, returns and errors), the JSON string of
 * a human-monitor-command return with its escapes, the `info mtree -f`
 * flat view and the `gpa2hva` answers all come from the input.
 *
 * Checks: a failure says why; on success there is one region per GPA
 * lkstub asked gpa2hva about and no other, each non-empty, disjoint and
 * inside the (pretend) address space, and nothing was read through them;
 * every command sent is one JSON line of the kinds lkstub sends, with
 * ids 1, 2, 3, ... (qmp_capabilities, info mtree -f, then gpa2hva).
 *
 * Input: u8 chunk (bytes handed over per read; 0: all that is asked for),
 * u8 failing send (n > 0: the n-th command's send fails), then the bytes
 * QEMU sends (tests/fuzz/qmp_seeds.py records real conversations). */
#include "tests/fuzz/fuzz_input.h"

#include <errno.h>
#include <inttypes.h>

#include <json-c/json.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/qmp_client.h"
#include "translate/vmm_qmp.h"

#define MAX_ASKED 4096

struct conv {
	struct fin in;
	unsigned chunk, fail_send, sends;
	uint64_t asked[MAX_ASKED]; /* gpa2hva addresses, in order */
	unsigned nr_asked;
	bool asked_overflow;
};

static int conv_send(void *ctx, const char *buf, size_t len, int fd)
{
	struct conv *c = ctx;
	c->sends++;
	FUZZ_CHECK(fd == -1, "an fd sent");
	FUZZ_CHECK(len > 0 && buf[len - 1] == '\n' &&
			   !memchr(buf, '\n', len - 1) && buf[0] == '{',
		   "command not one JSON line: %.*s", (int)len, buf);
	/* buf is no C string: len bytes. */
	struct json_tokener *tok = json_tokener_new();
	struct json_object *cmd = json_tokener_parse_ex(tok, buf, (int)len), *v;
	json_tokener_free(tok);
	FUZZ_CHECK(cmd && json_object_object_get_ex(cmd, "id", &v) &&
			   json_object_get_int64(v) == c->sends,
		   "command without id %u: %.*s", c->sends, (int)len, buf);
	FUZZ_CHECK(json_object_object_get_ex(cmd, "execute", &v),
		   "no execute: %.*s", (int)len, buf);
	const char *name = json_object_get_string(v);
	if (!strcmp(name, "human-monitor-command")) {
		FUZZ_CHECK(json_object_object_get_ex(cmd, "arguments", &v) &&
				   json_object_object_get_ex(v, "command-line",
							     &v),
			   "hmp without a command line");
		const char *hmp = json_object_get_string(v);
		uint64_t gpa;
		if (!strncmp(hmp, "gpa2hva ", 8)) {
			FUZZ_CHECK(sscanf(hmp + 8, "%" SCNx64, &gpa) == 1,
				   "gpa2hva without an address");
			if (c->nr_asked < MAX_ASKED)
				c->asked[c->nr_asked++] = gpa;
			else
				c->asked_overflow = true;
		} else {
			FUZZ_CHECK(!strcmp(hmp, "info mtree -f"),
				   "unexpected command %.*s", (int)len, buf);
		}
	} else {
		FUZZ_CHECK(!strcmp(name, "qmp_capabilities"),
			   "unexpected command %.*s", (int)len, buf);
	}
	json_object_put(cmd);
	if (c->sends == c->fail_send) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

static ssize_t conv_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct conv *c = ctx;
	FUZZ_CHECK(len > 0 && timeout_ms > 0, "recv of %zu, timeout %d", len,
		   timeout_ms);
	if (!c->in.left)
		return QMP_IO_TIMEOUT; /* QEMU says nothing more */
	size_t want = c->chunk && c->chunk < len ? c->chunk : len, got;
	const uint8_t *p = fin_take(&c->in, want, &got);
	memcpy(buf, p, got);
	return (ssize_t)got;
}

/* An address space nothing is read from: only the regions matter. */
static size_t no_read(void *src, uint64_t off, void *buf, size_t len)
{
	(void)src, (void)off, (void)buf, (void)len;
	FUZZ_CHECK(0, "guest memory read while asking QMP");
	return 0;
}

static const struct mem_source_ops vmm_ops = { .name = "VMM address space",
					       .read = no_read };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conv c;
	memset(&c, 0, sizeof(c));
	fin_init(&c.in, data, size);
	c.chunk = fin_u8(&c.in);
	c.fail_send = fin_u8(&c.in);

	struct guest_mem m;
	memset(&m, 0, sizeof(m));
	m.ops = &vmm_ops;
	m.src_size = 1ULL << 47; /* a 47-bit user address space */
	struct qmp_io io = { &c, "fuzz.sock", conv_send, conv_recv, NULL };
	char err[ERR_LEN];
	memset(err, 0x55, sizeof(err));
	err[0] = '\0';
	struct qmp_client *q = qmp_client_open(&io, err);
	int rc = q ? qmp_ram_regions(&m, q, err) : -1;
	qmp_client_close(q);

	FUZZ_CHECK(rc == -1 || rc > 0, "rc %d", rc);
	if (rc == -1) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0],
			   "failed without a message");
	} else {
		FUZZ_CHECK((unsigned)rc == m.nr_regions, "%d added, %u regions",
			   rc, m.nr_regions);
		FUZZ_CHECK(!c.asked_overflow && c.nr_asked == m.nr_regions,
			   "asked about %u ranges, %u regions", c.nr_asked,
			   m.nr_regions);
		/* Regions are kept sorted; lkstub asks in map order, which
		 * is ascending in QEMU's flat view but not in every input. */
		for (unsigned i = 0; i < m.nr_regions; i++) {
			const struct guest_region *r = &m.regions[i];
			FUZZ_CHECK(r->size > 0 && r->offset <= m.src_size &&
					   r->size <= m.src_size - r->offset,
				   "region %u outside the address space", i);
			bool asked = false;
			for (unsigned j = 0; j < c.nr_asked && !asked; j++)
				asked = c.asked[j] == r->gpa;
			FUZZ_CHECK(asked, "region at %#" PRIx64 " never asked "
				   "about", r->gpa);
			if (i)
				FUZZ_CHECK(m.regions[i - 1].gpa +
						   m.regions[i - 1].size <= r->gpa,
					   "regions %u and %u overlap", i - 1, i);
		}
	}
	guest_mem_close(&m);
	return 0;
}
