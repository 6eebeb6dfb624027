/* Unit tests for translate/vmm_qmp.c: the `info mtree -f` line parser and
 * qmp_ram_regions through a QMP client (translate/qmp_client.c) talking
 * to a fake QEMU behind struct qmp_io. The fake answers each command as
 * QEMU 7.2 does: the greeting, then one reply line per command with the
 * command's id; `gpa2hva` from its own model of the memory regions
 * (each region has a host base address; a GPA's host address is the base
 * plus the piece's offset in its region). */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/qmp_client.h"
#include "translate/vmm_qmp.h"

#define GREETING                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, "  \
	"\"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, "    \
	"\"capabilities\": [\"oob\"]}}\r\n"

struct region {
	const char *name;
	uint64_t hva;
};

/* A memory map as `info mtree -f` prints the system address space, and
 * the regions' host addresses. */
struct machine {
	const char *mtree; /* the lines of AS "memory", each ending \n */
	const struct region *regions;
	unsigned nr_regions;
};

struct fake {
	const struct machine *mc;
	char out[1 << 16];
	size_t len, pos;
	unsigned chunk;
	unsigned gpa2hva;
	const char *error_for; /* a command QEMU refuses */
	bool silent, closed;   /* says nothing at all; then hangs up */
};

static void say(struct fake *f, const char *s)
{
	size_t n = strlen(s);
	assert_true(f->len + n <= sizeof(f->out));
	memcpy(f->out + f->len, s, n);
	f->len += n;
}

/* The end of a reply: the id of the command it answers. */
static void say_id(struct fake *f, int64_t id)
{
	char end[64];
	snprintf(end, sizeof(end), ", \"id\": %" PRId64 "}\r\n", id);
	say(f, end);
}

/* The JSON string of s: QEMU escapes quotes and line ends. */
static void say_string(struct fake *f, const char *s, int64_t id)
{
	say(f, "{\"return\": \"");
	for (; *s; s++) {
		char c[3] = { *s, 0, 0 };
		if (*s == '"' || *s == '\\')
			c[0] = '\\', c[1] = *s;
		else if (*s == '\n')
			say(f, "\\r"), c[0] = '\\', c[1] = 'n';
		say(f, c);
	}
	say(f, "\"");
	say_id(f, id);
}

/* Where the model puts gpa: the host address, or 0 when it is no RAM. */
static uint64_t model_hva(const struct machine *mc, uint64_t gpa,
			  const char **name)
{
	const char *l = mc->mtree;
	while (*l) {
		uint64_t a, b, off = 0;
		char nm[64];
		int n = 0;
		if (sscanf(l, " %" SCNx64 "-%" SCNx64 " (prio %*d, %*[a-z]): "
			   "%63s%n", &a, &b, nm, &n) == 3 &&
		    gpa >= a && gpa <= b) {
			sscanf(l + n, " @%" SCNx64, &off);
			for (unsigned i = 0; i < mc->nr_regions; i++)
				if (!strcmp(mc->regions[i].name, nm)) {
					*name = mc->regions[i].name;
					return mc->regions[i].hva + off +
					       (gpa - a);
				}
		}
		l = strchr(l, '\n') + 1;
	}
	return 0;
}

static void answer_hmp(struct fake *f, const char *hmp, int64_t id)
{
	if (!strcmp(hmp, "info mtree -f")) {
		char text[1 << 14];
		snprintf(text, sizeof(text),
			 "FlatView #0\n AS \"I/O\", root: io\n Root memory "
			 "region: io\n  0000000000000000-0000000000000007 "
			 "(prio 0, i/o): dma-chan\n\nFlatView #1\n AS "
			 "\"memory\", root: system\n AS \"cpu-memory-0\", "
			 "root: system\n Root memory region: system\n%s\n"
			 "FlatView #2\n AS \"KVM-SMRAM\", root: mem-container-"
			 "smram\n  0000000000000000-00000000ffffffff (prio 0, "
			 "ram): smram-ghost\n\n",
			 f->mc->mtree);
		say_string(f, text, id);
		return;
	}
	uint64_t gpa;
	assert_int_equal(sscanf(hmp, "gpa2hva %" SCNx64, &gpa), 1);
	f->gpa2hva++;
	const char *name = NULL;
	uint64_t hva = model_hva(f->mc, gpa, &name);
	char text[256];
	if (hva)
		snprintf(text, sizeof(text), "Host virtual address for %#"
			 PRIx64 " (%s) is %#" PRIx64 "\n", gpa, name, hva);
	else
		snprintf(text, sizeof(text), "No memory is mapped at address "
			 "%#" PRIx64 "\n", gpa);
	say_string(f, text, id);
}

static int fake_send(void *ctx, const char *buf, size_t len, int fd)
{
	struct fake *f = ctx;
	assert_int_equal(fd, -1);
	assert_true(len && buf[len - 1] == '\n' &&
		    !memchr(buf, '\n', len - 1));
	/* buf is no C string: len bytes. */
	struct json_tokener *tok = json_tokener_new();
	struct json_object *cmd = json_tokener_parse_ex(tok, buf, (int)len), *v;
	json_tokener_free(tok);
	assert_non_null(cmd);
	assert_true(json_object_object_get_ex(cmd, "id", &v));
	int64_t id = json_object_get_int64(v);
	assert_true(json_object_object_get_ex(cmd, "execute", &v));
	const char *name = json_object_get_string(v), *hmp = "";
	if (json_object_object_get_ex(cmd, "arguments", &v) &&
	    json_object_object_get_ex(v, "command-line", &v))
		hmp = json_object_get_string(v);
	if (f->error_for && (strstr(name, f->error_for) ||
			     strstr(hmp, f->error_for))) {
		say(f, "{\"error\": {\"class\": \"GenericError\", \"desc\": "
		       "\"refused\"}");
		say_id(f, id);
	} else if (!strcmp(name, "qmp_capabilities")) {
		/* An event may come first: it is no reply. */
		say(f, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
		       "\"event\": \"RESUME\"}\r\n{\"return\": {}");
		say_id(f, id);
	} else {
		assert_string_equal(name, "human-monitor-command");
		answer_hmp(f, hmp, id);
	}
	json_object_put(cmd);
	return 0;
}

static ssize_t fake_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct fake *f = ctx;
	assert_true(timeout_ms > 0);
	if (f->pos == f->len || f->silent)
		return f->closed ? 0 : QMP_IO_TIMEOUT;
	size_t n = f->len - f->pos;
	if (n > len)
		n = len;
	if (f->chunk && n > f->chunk)
		n = f->chunk;
	memcpy(buf, f->out + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

/* An address space nothing is read from. */
static size_t no_read(void *src, uint64_t off, void *buf, size_t len)
{
	(void)src, (void)off, (void)buf, (void)len;
	fail_msg("guest memory read");
	return 0;
}

static const struct mem_source_ops vmm_ops = { .name = "VMM", .read =
								      no_read };

struct want {
	uint64_t gpa, size, hva;
};

static int ask(struct fake *f, struct guest_mem *m, char *err)
{
	memset(m, 0, sizeof(*m));
	m->ops = &vmm_ops;
	m->src_size = 1ULL << 47;
	say(f, GREETING);
	struct qmp_io io = { f, "qmp.sock", fake_send, fake_recv, NULL };
	err[0] = '\0';
	struct qmp_client *q = qmp_client_open(&io, err);
	if (!q)
		return -1;
	int rc = qmp_ram_regions(m, q, err);
	qmp_client_close(q);
	return rc;
}

static void expect_regions(const struct machine *mc, const struct want *w,
			   unsigned n)
{
	/* Whole replies at once, then a byte at a time. */
	for (unsigned chunk = 0; chunk < 2; chunk++) {
		struct fake *f = calloc(1, sizeof(*f));
		assert_non_null(f);
		f->mc = mc;
		f->chunk = chunk;
		struct guest_mem m;
		char err[ERR_LEN];
		int rc = ask(f, &m, err);
		if (rc < 0)
			fail_msg("qmp_ram_regions: %s", err);
		assert_int_equal(rc, n);
		assert_int_equal(m.nr_regions, n);
		assert_int_equal(f->gpa2hva, n); /* one question per range */
		for (unsigned i = 0; i < n; i++) {
			const struct guest_region *r = &m.regions[i];
			if (r->gpa != w[i].gpa || r->size != w[i].size ||
			    r->offset != w[i].hva)
				fail_msg("region %u: %#" PRIx64 "+%#" PRIx64
					 " at %#" PRIx64 ", want %#" PRIx64
					 "+%#" PRIx64 " at %#" PRIx64, i,
					 r->gpa, r->size, r->offset, w[i].gpa,
					 w[i].size, w[i].hva);
		}
		guest_mem_close(&m);
		free(f);
	}
}

#define RAM 0x7f9f8fe00000ULL
#define ROM 0x7fa09d400000ULL
#define BIOS 0x7fa09d600000ULL

static const struct region pc_regions[] = {
	{ "pc.ram", RAM }, { "pc.rom", ROM }, { "pc.bios", BIOS },
};

/* q35 with 3 GiB before the firmware ran (QEMU -S): ROM below 1 MiB, and
 * the BIOS's last piece ends where RAM above 4 GiB begins. */
static const struct machine q35_3g_boot = {
	"  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM\n"
	"  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n"
	"  00000000000c0000-00000000000dffff (prio 1, rom): pc.rom\n"
	"  00000000000e0000-00000000000fffff (prio 0, rom): pc.bios "
	"@0000000000020000\n"
	"  0000000000100000-000000007fffffff (prio 0, ram): pc.ram "
	"@0000000000100000\n"
	"  00000000b0000000-00000000bfffffff (prio 0, i/o): pcie-mmcfg-mmio\n"
	"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
	"  0000000100000000-000000013fffffff (prio 0, ram): pc.ram "
	"@0000000080000000\n",
	pc_regions, 3,
};

static void q35_3g_before_firmware(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ 0, 0xa0000, RAM },
		{ 0xc0000, 0x20000, ROM },
		{ 0xe0000, 0x20000, BIOS + 0x20000 },
		{ 0x100000, 0x7ff00000, RAM + 0x100000 },
		{ 0xfffc0000, 0x40000, BIOS },
		{ 0x100000000ULL, 0x40000000, RAM + 0x80000000ULL },
	};
	expect_regions(&q35_3g_boot, w, 6);
}

/* After the firmware: PAM maps RAM (read-only pieces are "rom") below
 * 1 MiB; adjacent pieces of pc.ram with continuing offsets are one
 * range. */
static const struct machine q35_3g_running = {
	"  0000000000000000-000000000009ffff (prio 0, ram): pc.ram\n"
	"  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n"
	"  00000000000c0000-00000000000cafff (prio 0, rom): pc.ram "
	"@00000000000c0000\n"
	"  00000000000cb000-00000000000cdfff (prio 0, ram): pc.ram "
	"@00000000000cb000\n"
	"  00000000000ce000-00000000000fffff (prio 0, rom): pc.ram "
	"@00000000000ce000\n"
	"  0000000000100000-000000007fffffff (prio 0, ram): pc.ram "
	"@0000000000100000\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
	"  0000000100000000-000000013fffffff (prio 0, ram): pc.ram "
	"@0000000080000000\n",
	pc_regions, 3,
};

static void q35_3g_after_firmware(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ 0, 0xa0000, RAM },
		{ 0xc0000, 0x7ff40000, RAM + 0xc0000 },
		{ 0xfffc0000, 0x40000, BIOS },
		{ 0x100000000ULL, 0x40000000, RAM + 0x80000000ULL },
	};
	expect_regions(&q35_3g_running, w, 4);
}

/* Adjacent pieces of one region whose offsets jump are two ranges. */
static const struct machine jump = {
	"  0000000000000000-00000000000fffff (prio 0, ram): ram @0000000000000000\n"
	"  0000000000100000-00000000001fffff (prio 0, ram): ram @0000000000300000\n"
	"  0000000000200000-00000000002fffff (prio 0, ram): ram @0000000000400000\n",
	(const struct region[]){ { "ram", RAM } }, 1,
};

static void offsets_jump(void **state)
{
	(void)state;
	static const struct want w[] = {
		{ 0, 0x100000, RAM },
		{ 0x100000, 0x200000, RAM + 0x300000 },
	};
	expect_regions(&jump, w, 2);
}

static const struct machine virt_1g = {
	"  0000000000000000-0000000003ffffff (prio 0, romd): virt.flash0\n"
	"  0000000008000000-000000000800ffff (prio 0, i/o): gic_dist\n"
	"  0000000040000000-000000007fffffff (prio 0, ram): mach-virt.ram\n",
	(const struct region[]){ { "mach-virt.ram", RAM } }, 1,
};

static void arm_virt(void **state)
{
	(void)state;
	static const struct want w[] = { { 0x40000000, 0x40000000, RAM } };
	expect_regions(&virt_1g, w, 1);
}

static void parse_lines(void **state)
{
	(void)state;
	struct qmp_piece p;
	assert_true(qmp_parse_mtree_ram("  0000000100000000-000000013fffffff "
					"(prio 0, ram): pc.ram "
					"@0000000080000000 KVM",
					&p));
	assert_true(p.start == 0x100000000ULL && p.end == 0x140000000ULL);
	assert_string_equal(p.name, "pc.ram");
	assert_true(p.offset == 0x80000000ULL);
	assert_true(qmp_parse_mtree_ram("  00000000fffc0000-00000000ffffffff "
					"(prio 0, rom): pc.bios", &p));
	assert_string_equal(p.name, "pc.bios");
	assert_true(p.offset == 0 && p.end == 0x100000000ULL);
	/* Not RAM, or not a piece at all. */
	static const char *const no[] = {
		"  0000000000000000-0000000003ffffff (prio 0, romd): flash0",
		"  00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic",
		"  0000000000000000-000000000009ffff (prio 0, nv-ram): nvram",
		"  0000000000000000-000000000009ffff (prio 0, ram):",
		"  0000000000000000-000000000009ffff (prio 0, ram): x @zz",
		"  00000000000a0000-000000000009ffff (prio 0, ram): backwards",
		"  0000000000000000-ffffffffffffffff (prio 0, ram): all",
		" Root memory region: system",
		"",
	};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (qmp_parse_mtree_ram(no[i], &p))
			fail_msg("parsed as RAM: \"%s\"", no[i]);
}

static void failures(void **state)
{
	(void)state;
	static const struct {
		const char *error_for, *mtree, *want;
	} cases[] = {
		{ "qmp_capabilities", NULL, "refused" },
		{ "info mtree", NULL, "refused" },
		{ "gpa2hva", NULL, "refused" },
		{ NULL, "  00000000fec00000-00000000fec00fff (prio 0, i/o): "
			"ioapic\n", "no RAM" },
		/* gpa2hva of a GPA the model has no region for. */
		{ NULL, "  0000000000000000-000000000009ffff (prio 0, ram): "
			"nowhere\n", "gpa2hva 0 failed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct machine mc = q35_3g_boot;
		if (cases[i].mtree)
			mc.mtree = cases[i].mtree;
		struct fake *f = calloc(1, sizeof(*f));
		assert_non_null(f);
		f->mc = &mc;
		f->error_for = cases[i].error_for;
		struct guest_mem m;
		char err[ERR_LEN];
		assert_int_equal(ask(f, &m, err), -1);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err,
				 cases[i].want);
		guest_mem_close(&m);
		free(f);
	}
	/* QEMU says nothing (another client holds it), or hangs up. */
	for (int closed = 0; closed < 2; closed++) {
		struct fake *f = calloc(1, sizeof(*f));
		assert_non_null(f);
		f->mc = &q35_3g_boot;
		f->silent = true;
		f->closed = closed;
		struct guest_mem m;
		char err[ERR_LEN];
		assert_int_equal(ask(f, &m, err), -1);
		const char *want = closed ? "QMP qmp.sock: greeting: "
					    "connection closed"
					  : "QMP qmp.sock: no greeting within";
		if (!strstr(err, want))
			fail_msg("\"%s\" lacks \"%s\"", err, want);
		guest_mem_close(&m);
		free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_lines),
		cmocka_unit_test(q35_3g_before_firmware),
		cmocka_unit_test(q35_3g_after_firmware),
		cmocka_unit_test(offsets_jump),
		cmocka_unit_test(arm_virt),
		cmocka_unit_test(failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
