/* stub/target/vcpu_live.c against a fake QEMU that keeps a run state and
 * answers QMP as QEMU 7.2 does: the VM is paused only while the vCPUs are
 * read and only if it ran, a VM someone else paused stays paused,
 * --no-pause never stops it, the snapshot serves one refresh, a failed
 * cont is tried again, --control stops and resumes, device reads parse
 * `xp`, and a QEMU that went away leaves registers unknown with a note. */
#include <elf.h>
#include <errno.h>
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
#include "stub/target/gdb_arch.h"
#include "stub/target/vcpu_live.h"
#include "symbols/kernel.h"
#include "translate/qmp_client.h"

#define GREETING                                                            \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "    \
	"\"major\": 7}, \"package\": \"\"}, \"capabilities\": []}}\r\n"

static const char registers[] =
	"\r\nCPU#0\r\nRAX=0000000000000011 RBX=0000000000000000\r\n"
	"RIP=ffffffff81000000 RFL=00000246 [---Z-P-] CPL=0 II=0\r\n"
	"CR0=80050033 CR2=0000000000000000 CR3=0000000001234000 "
	"CR4=00751eb0\r\n"
	"\r\nCPU#1\r\nRAX=0000000000000022\r\n"
	"RIP=0000000000401000 RFL=00000202 CPL=3\r\n"
	"CR3=0000000005678001\r\n";

struct fake {
	bool running;
	bool gone;        /* QEMU exited: every read sees the end */
	unsigned stops, conts, reads, failing_conts;
	char out[1 << 16];
	size_t len, pos;
	char last_cmd[64];
};

static void reply(struct fake *f, struct json_object *id, const char *ret)
{
	char line[4096];
	if (!strncmp(ret, "{\"error\"", 8))
		snprintf(line, sizeof(line), "%.*s, \"id\": %s}\r\n",
			 (int)strlen(ret) - 1, ret,
			 json_object_to_json_string(id));
	else
		snprintf(line, sizeof(line), "{\"return\": %s, \"id\": %s}\r\n",
			 ret, json_object_to_json_string(id));
	size_t n = strlen(line);
	assert_true(f->len + n <= sizeof(f->out));
	memcpy(f->out + f->len, line, n);
	f->len += n;
}

static int fake_send(void *ctx, const char *buf, size_t len, int fd)
{
	struct fake *f = ctx;
	(void)fd;
	if (f->gone) {
		errno = EPIPE;
		return -1;
	}
	/* buf is not NUL-ended: parse exactly len bytes. */
	struct json_tokener *tok = json_tokener_new();
	assert_non_null(tok);
	struct json_object *cmd = json_tokener_parse_ex(tok, buf, (int)len);
	json_tokener_free(tok);
	assert_non_null(cmd);
	struct json_object *ex, *id, *args, *line;
	assert_true(json_object_object_get_ex(cmd, "execute", &ex));
	json_object_object_get_ex(cmd, "id", &id);
	const char *name = json_object_get_string(ex);
	snprintf(f->last_cmd, sizeof(f->last_cmd), "%s", name);
	if (!strcmp(name, "qmp_capabilities") || !strcmp(name, "getfd")) {
		reply(f, id, "{}");
	} else if (!strcmp(name, "query-status")) {
		reply(f, id, f->running ? "{\"status\": \"running\", "
					  "\"singlestep\": false, "
					  "\"running\": true}"
					: "{\"status\": \"paused\", "
					  "\"singlestep\": false, "
					  "\"running\": false}");
	} else if (!strcmp(name, "stop")) {
		f->running = false;
		f->stops++;
		reply(f, id, "{}");
	} else if (!strcmp(name, "cont")) {
		if (f->failing_conts) {
			f->failing_conts--;
			reply(f, id, "{\"error\": {\"class\": \"GenericError\", "
				     "\"desc\": \"busy\"}}");
		} else {
			f->running = true;
			f->conts++;
			reply(f, id, "{}");
		}
	} else if (!strcmp(name, "dump-guest-memory")) {
		reply(f, id, "{\"error\": {\"class\": \"GenericError\", "
			     "\"desc\": \"not in this test\"}}");
	} else if (!strcmp(name, "human-monitor-command")) {
		assert_true(json_object_object_get_ex(cmd, "arguments", &args));
		assert_true(json_object_object_get_ex(args, "command-line",
						      &line));
		const char *l = json_object_get_string(line);
		struct json_object *s;
		if (!strcmp(l, "info registers -a")) {
			f->reads++;
			s = json_object_new_string(registers);
		} else if (!strncmp(l, "info lapic ", 11)) {
			s = json_object_new_string(
				"APR 0x01 TPR 0x10 DFR 0x0f\r\n");
		} else if (!strcmp(l, "xp /1xg 0xfed00000")) {
			s = json_object_new_string(
				"00000000fed00000: 0x009896808086a201\r\n");
		} else if (!strcmp(l, "xp /2xw 0xfed00000")) {
			s = json_object_new_string(
				"00000000fed00000: 0x8086a201 0x00989680\r\n");
		} else {
			s = json_object_new_string(
				"00000000fed00000: Cannot access memory\r\n");
		}
		reply(f, id, json_object_to_json_string(s));
		json_object_put(s);
	} else {
		fail_msg("unexpected command %s", name);
	}
	json_object_put(cmd);
	return 0;
}

static ssize_t fake_recv(void *ctx, char *buf, size_t len, int timeout_ms)
{
	struct fake *f = ctx;
	(void)timeout_ms;
	if (f->gone)
		return 0;
	if (f->pos == f->len)
		return QMP_IO_TIMEOUT;
	size_t n = f->len - f->pos < len ? f->len - f->pos : len;
	memcpy(buf, f->out + f->pos, n);
	f->pos += n;
	if (f->pos == f->len)
		f->pos = f->len = 0;
	return (ssize_t)n;
}

static void setup(struct vcpu_live *v, struct fake *f, bool no_pause)
{
	char err[ERR_LEN];
	memset(f->out, 0, sizeof(f->out));
	memcpy(f->out, GREETING, strlen(GREETING));
	f->len = strlen(GREETING);
	f->pos = 0;
	struct qmp_io io = { f, "fake.sock", fake_send, fake_recv, NULL };
	struct qmp_client *q = qmp_client_open(&io, err);
	assert_non_null(q);
	assert_int_equal(vcpu_live_init(v, "/nonexistent/lkstub-test.sock", q,
					EM_X86_64, &gdb_arch_x86_64,
					kernel_arch_for(EM_X86_64), no_pause,
					err),
			 0);
}

static uint64_t rax(const struct vcpu_state *s)
{
	unsigned regnum, off, bytes;
	uint64_t v = 0;
	assert_int_equal(gdb_arch_reg_slot(&gdb_arch_x86_64, "rax", &regnum,
					   &off, &bytes),
			 0);
	assert_true(s->regs.valid[regnum]);
	memcpy(&v, s->regs.bytes + off, 8);
	return v;
}

static bool cr8_is_1(const struct vcpu_state *s)
{
	unsigned regnum, off, bytes;
	uint64_t v = 0;
	assert_int_equal(gdb_arch_reg_slot(&gdb_arch_x86_64, "cr8", &regnum,
					   &off, &bytes),
			 0);
	memcpy(&v, s->regs.bytes + off, 8);
	return s->regs.valid[regnum] && v == 1;
}

/* A running VM: paused once per refresh, resumed, figures kept. */
static void pauses_a_running_vm(void **state)
{
	(void)state;
	struct fake f = { .running = true };
	struct vcpu_live v;
	setup(&v, &f, false);
	const struct vcpu_state *s = vcpu_live_get(&v, 0, 1, false);
	assert_non_null(s);
	assert_int_equal(rax(s), 0x11);
	assert_true(cr8_is_1(s));
	assert_false(s->user);
	assert_int_equal(f.stops, 1);
	assert_int_equal(f.conts, 1);
	assert_true(f.running);
	assert_int_equal(v.pauses, 1);
	/* The other vCPU from the same snapshot. */
	s = vcpu_live_get(&v, 1, 1, false);
	assert_non_null(s);
	assert_int_equal(rax(s), 0x22);
	assert_true(s->user);
	assert_int_equal(s->user_root, 0x5678000);
	assert_int_equal(f.reads, 1);
	/* For a task running there: the same snapshot. */
	assert_non_null(vcpu_live_get(&v, 1, 1, true));
	assert_int_equal(f.reads, 1);
	/* Asked again in the same refresh: gdb dropped its cache. */
	assert_non_null(vcpu_live_get(&v, 1, 1, false));
	assert_int_equal(f.reads, 2);
	/* A new refresh. */
	assert_non_null(vcpu_live_get(&v, 0, 2, false));
	assert_int_equal(f.reads, 3);
	assert_int_equal(f.stops, 3);
	assert_int_equal(f.conts, 3);
	assert_non_null(vcpu_live_peek(&v, 1));
	/* A vCPU QEMU does not have. */
	assert_null(vcpu_live_get(&v, 2, 2, false));
	assert_null(vcpu_live_get(&v, VCPU_MAX, 2, false));
	struct strbuf sb;
	strbuf_init(&sb, 1 << 16);
	vcpu_live_info(&v, &sb);
	assert_non_null(strstr(strbuf_cstr(&sb), "pause per read of 2 vCPUs"));
	assert_non_null(strstr(strbuf_cstr(&sb),
				"CPU#0 kernel pc 0xffffffff81000000 cr3 0x1234000"));
	assert_non_null(strstr(strbuf_cstr(&sb),
				"CPU#1 user pc 0x401000 cr3 0x5678001"));
	strbuf_free(&sb);
	vcpu_live_free(&v);
}

/* Paused by someone else: read as it is, and left paused. */
static void leaves_a_paused_vm_paused(void **state)
{
	(void)state;
	struct fake f = { .running = false };
	struct vcpu_live v;
	setup(&v, &f, false);
	assert_non_null(vcpu_live_get(&v, 0, 1, false));
	assert_int_equal(f.stops, 0);
	assert_int_equal(f.conts, 0);
	assert_false(f.running);
	assert_int_equal(v.pauses, 0);
	vcpu_live_free(&v);
}

/* --no-pause: a running VM keeps its registers; a paused one is read. */
static void no_pause(void **state)
{
	(void)state;
	struct fake f = { .running = true };
	struct vcpu_live v;
	setup(&v, &f, true);
	assert_null(vcpu_live_get(&v, 0, 1, false));
	assert_non_null(strstr(v.note, "--no-pause"));
	assert_int_equal(f.stops, 0);
	f.running = false;
	assert_non_null(vcpu_live_get(&v, 0, 2, false));
	assert_int_equal(f.conts, 0);
	assert_false(f.running);
	vcpu_live_free(&v);
}

/* A cont QEMU refuses once is tried again: the VM runs afterwards. */
static void cont_tried_again(void **state)
{
	(void)state;
	struct fake f = { .running = true, .failing_conts = 1 };
	struct vcpu_live v;
	setup(&v, &f, false);
	assert_non_null(vcpu_live_get(&v, 0, 1, false));
	assert_true(f.running);
	assert_int_equal(f.conts, 1);
	vcpu_live_free(&v);
}

/* --control: stop, and resume only what it stopped. */
static void control(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct fake f = { .running = true };
	struct vcpu_live v;
	setup(&v, &f, false);
	assert_int_equal(vcpu_live_stop(&v, err), 0);
	assert_false(f.running);
	assert_true(v.stopped_by_us);
	/* Registers of the stopped VM: no pause of its own. */
	assert_non_null(vcpu_live_get(&v, 0, 1, false));
	assert_int_equal(f.stops, 1);
	assert_int_equal(vcpu_live_cont(&v, err), 0);
	assert_true(f.running);
	/* Not stopped by lkstub: nothing to resume. */
	f.running = false;
	assert_int_equal(vcpu_live_cont(&v, err), 0);
	assert_false(f.running);
	assert_int_equal(f.conts, 1);
	vcpu_live_free(&v);
}

/* Device registers through `xp`, in the width asked for. */
static void device_reads(void **state)
{
	(void)state;
	char err[ERR_LEN];
	struct fake f = { .running = true };
	struct vcpu_live v;
	setup(&v, &f, false);
	uint64_t cap = 0;
	assert_int_equal(vcpu_live_phys_read(&v, 0xfed00000, &cap, 8, err), 0);
	assert_int_equal(cap, 0x009896808086a201);
	assert_string_equal(f.last_cmd, "human-monitor-command");
	uint8_t b[4];
	assert_int_equal(vcpu_live_phys_read(&v, 0xfed00000, b, 3, err), -1);
	assert_non_null(strstr(err, "Cannot access"));
	assert_int_equal(vcpu_live_phys_read(&v, 0xfed00000, b, 0, err), -1);
	static uint8_t big[8192];
	assert_int_equal(vcpu_live_phys_read(&v, 0xfed00000, big, 8192, err),
			 -1);
	vcpu_live_free(&v);
}

/* QEMU gone: registers unknown, said why; no retry loop. */
static void qemu_gone(void **state)
{
	(void)state;
	struct fake f = { .running = true };
	struct vcpu_live v;
	setup(&v, &f, false);
	f.gone = true;
	assert_null(vcpu_live_get(&v, 0, 1, false));
	assert_true(v.note[0]);
	struct strbuf sb;
	strbuf_init(&sb, 1 << 16);
	vcpu_live_info(&v, &sb);
	assert_non_null(strstr(strbuf_cstr(&sb), "registers unknown"));
	assert_non_null(strstr(strbuf_cstr(&sb), "not connected"));
	strbuf_free(&sb);
	vcpu_live_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pauses_a_running_vm),
		cmocka_unit_test(leaves_a_paused_vm_paused),
		cmocka_unit_test(no_pause),
		cmocka_unit_test(cont_tried_again),
		cmocka_unit_test(control),
		cmocka_unit_test(device_reads),
		cmocka_unit_test(qemu_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
