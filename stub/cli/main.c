/* lkstub: find the guest kernel, print what was found, serve gdb. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stub/target/kernel_target.h"
#include "stub/cli/memory_arg.h"
#include "stub/target/gdb_arch.h"
#include "stub/target/vcpu_live.h"
#include "stub/cli/options.h"
#include "stub/rsp/server.h"
#include "common/err.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Find the kernel, waiting for it under --wait. */
static int locate(struct kernel_target *kt, const struct options *o,
		  char *err)
{
	double deadline = now_ms() + o->wait_seconds * 1e3;
	bool said = false;
	for (;;) {
		if (!kernel_target_locate(kt, err))
			return 0;
		if (!o->wait || (o->wait_seconds && now_ms() >= deadline))
			return -1;
		if (!said)
			fprintf(stderr, "lkstub: waiting for the kernel (%s)\n",
				err);
		said = true;
		if (guest_mem_failure(kt->mem))
			return set_err(err, "%s", guest_mem_failure(kt->mem));
		sleep(1);
	}
}

int main(int argc, char **argv)
{
	char err[ERR_LEN];
	static struct options opts;
	if (options_parse(&opts, argc, argv, err)) {
		fprintf(stderr, "lkstub: %s\n%s", err, options_usage);
		return 2;
	}
	if (opts.help) {
		fputs(options_usage, stdout);
		return 0;
	}
	if (opts.version) {
		puts("lkstub " LKSTUB_VERSION);
		return 0;
	}

	double t0 = now_ms();
	static struct vmlinux vm;
	static struct guest_mem mem;
	static struct kernel_target kt;
	static struct memory_arg ma;
	if (vmlinux_open(&vm, opts.vmlinux, err)) {
		fprintf(stderr, "lkstub: %s\n", err);
		return 1;
	}
	if (!kernel_arch_for(vm.machine) || !gdb_arch_for(vm.machine)) {
		fprintf(stderr, "lkstub: %s: ELF machine %u is not supported\n",
			opts.vmlinux, vm.machine);
		return 1;
	}
	if (memory_arg_open(&ma, &mem, &opts, err)) {
		fprintf(stderr, "lkstub: %s\n", err);
		return 1;
	}
	kt.mem = &mem;
	kt.vm = &vm;
	kt.gdb_arch = gdb_arch_for(vm.machine);
	kt.finder = (struct kernel_finder){ memory_arg_locate, &ma };
	if (locate(&kt, &opts, err)) {
		fprintf(stderr, "lkstub: %s\n", err);
		return 1;
	}
	kernel_target_refresh_cpus(&kt);
	kernel_target_init_tasks(&kt);
	memory_arg_cpu_regs(&ma, &kt);
	static struct vcpu_live vcpu;
	if (opts.qmp) {
		/* QEMU may be unreachable now: registers stay unknown and
		 * the link is tried again when gdb asks for them. */
		if (vcpu_live_init(&vcpu, opts.qmp, NULL, vm.machine,
				   kt.gdb_arch, kt.ki.arch, opts.no_pause,
				   err)) {
			fprintf(stderr, "lkstub: %s\n", err);
			return 1;
		}
		kt.vcpu = &vcpu;
		kt.mmio = opts.mmio;
		kt.control = opts.control;
	}
	if (!opts.no_symbols &&
	    kernel_symbols_init(&kt, opts.cache, opts.module_dirs,
				opts.nr_module_dirs, err))
		fprintf(stderr, "lkstub: no symbols for gdb (%s): load them "
			"with the add-symbol-file line below\n", err);

	struct target target = { &kernel_target_ops, &kt };
	struct server *srv = server_open(opts.listen, &target, err);
	if (!srv) {
		fprintf(stderr, "lkstub: %s\n", err);
		return 1;
	}
	snprintf(kt.listen, sizeof(kt.listen), "%s", server_address(srv));

	struct strbuf sb;
	strbuf_init(&sb, 1 << 20);
	kernel_target_summary(&kt, &sb);
	strbuf_printf(&sb, "  ready in      %.0f ms\n", now_ms() - t0);
	strbuf_printf(&sb, "gdb command: ");
	kernel_target_gdb_command(&kt, &sb);
	strbuf_putc(&sb, '\n');
	fputs(strbuf_cstr(&sb), stderr);
	fflush(stderr);
	strbuf_free(&sb);

	int rc = server_run(srv);
	server_close(srv);
	if (kt.vcpu) {
		/* Never leave the VM stopped behind. */
		if (vcpu_live_cont(kt.vcpu, err))
			fprintf(stderr, "lkstub: %s\n", err);
		vcpu_live_free(kt.vcpu);
	}
	kernel_symbols_free(&kt);
	guest_mem_close(&mem);
	vmlinux_close(&vm);
	return rc ? 1 : 0;
}
