#include "stub/cli/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "stub/cli/memory_arg.h"

const char options_usage[] =
"usage: lkstub [options] MEMORY\n"
"Serve a live guest kernel's memory to gdb (GDB remote protocol).\n"
"\n"
"  MEMORY                 guest RAM file (QEMU memory-backend-file), an ELF\n"
"                         vmcore (QEMU dump-guest-memory, kdump), or pid:PID\n"
"                         (a running VMM process: QEMU, firecracker, ...)\n"
"  -k, --vmlinux FILE     the guest kernel's vmlinux (required)\n"
"  -l, --listen ADDR      HOST:PORT (default " DEFAULT_LISTEN "; [::1]:PORT for IPv6),\n"
"                         unix:PATH, or - for stdin/stdout\n"
"                         (gdb: target remote | lkstub ... -l -)\n"
"  -L, --layout NAME      auto (default), flat, q35, pc, virt\n"
"  -r, --region GPA:SIZE[@FILEOFFSET]   explicit guest-physical layout,\n"
"                         repeatable (without @, right after the previous);\n"
"                         with pid:PID, @ is the VMM's virtual address\n"
"      --qmp SOCKET       QEMU's QMP socket (a RAM file or pid:PID of a live\n"
"                         QEMU): the vCPUs' registers for CPU threads and\n"
"                         running tasks, read with the VM paused for the\n"
"                         moment it takes; with pid:PID also where RAM is.\n"
"                         Give lkstub a QMP socket of its own (-qmp twice):\n"
"                         QEMU serves one client per socket\n"
"      --no-pause         with --qmp, never pause the VM: running CPUs'\n"
"                         registers stay unknown unless it is paused\n"
"      --control          with --qmp, gdb's interrupt stops the VM, continue\n"
"                         resumes it, detach resumes it if lkstub stopped it\n"
"      --mmio             with --qmp, read kernel addresses that map device\n"
"                         registers (ioremap) through QEMU: such a read can\n"
"                         have side effects on the device\n"
"  -w, --write            allow gdb to write guest memory (read-only otherwise)\n"
"      --kaslr-offset N   override the KASLR offset discovery finds\n"
"      --phys-base N      override phys_base (both: skip discovery)\n"
"      --discover HOW     auto (default), vmcoreinfo, or banner (find the\n"
"                         kernel image without vmcoreinfo)\n"
"      --wait[=SECONDS]   wait for the kernel to appear (guest still booting)\n"
"      --cache DIR        where lkstub writes the files gdb loads symbols\n"
"                         through (default $XDG_CACHE_HOME/lkstub or\n"
"                         ~/.cache/lkstub)\n"
"      --modules DIR      where the modules' object files are (repeatable;\n"
"                         default /usr/lib/debug/lib/modules/RELEASE, then\n"
"                         /lib/modules/RELEASE of the guest's kernel)\n"
"      --no-symbols       do not offer gdb the vmlinux and modules (then\n"
"                         load them with the printed add-symbol-file)\n"
"  -h, --help             this text\n"
"  -V, --version          lkstub's version\n";

enum {
	OPT_KASLR = 256, OPT_PHYS_BASE, OPT_DISCOVER, OPT_WAIT, OPT_QMP,
	OPT_CACHE, OPT_NO_SYMBOLS, OPT_MODULES, OPT_NO_PAUSE, OPT_CONTROL,
	OPT_MMIO,
};

static const struct option long_opts[] = {
	{ "vmlinux", required_argument, NULL, 'k' },
	{ "listen", required_argument, NULL, 'l' },
	{ "layout", required_argument, NULL, 'L' },
	{ "region", required_argument, NULL, 'r' },
	{ "write", no_argument, NULL, 'w' },
	{ "kaslr-offset", required_argument, NULL, OPT_KASLR },
	{ "phys-base", required_argument, NULL, OPT_PHYS_BASE },
	{ "discover", required_argument, NULL, OPT_DISCOVER },
	{ "wait", optional_argument, NULL, OPT_WAIT },
	{ "qmp", required_argument, NULL, OPT_QMP },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "no-symbols", no_argument, NULL, OPT_NO_SYMBOLS },
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "no-pause", no_argument, NULL, OPT_NO_PAUSE },
	{ "control", no_argument, NULL, OPT_CONTROL },
	{ "mmio", no_argument, NULL, OPT_MMIO },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* A C number; a leading '-' is allowed (phys_base can be negative). */
static int parse_num(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	if (*s == '-') {
		long long x = strtoll(s, &end, 0);
		if (errno || end == s || *end)
			return -1;
		*v = (uint64_t)x;
		return 0;
	}
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, char *err)
{
	memset(o, 0, sizeof(*o));
	o->listen = DEFAULT_LISTEN;
	o->layout = LAYOUT_AUTO;
	bool layout_given = false;
	optind = 0; /* 0, not 1: also forget a cluster left half-read */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":k:l:L:r:whV", long_opts,
				NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 'k': o->vmlinux = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'w': o->write = true; break;
		case 'h': o->help = true; return 0;
		case 'V': o->version = true; return 0;
		case 'L':
			if (layout_parse(optarg, &o->layout))
				return set_err(err, "--layout %s: expected auto, "
					       "flat, q35, pc or virt", optarg);
			layout_given = o->layout != LAYOUT_AUTO;
			break;
		case 'r':
			if (o->nr_regions == OPTIONS_MAX_REGIONS)
				return set_err(err, "--region: at most %d",
					       OPTIONS_MAX_REGIONS);
			if (layout_parse_region(optarg,
						&o->regions[o->nr_regions], err))
				return -1;
			o->nr_regions++;
			break;
		case OPT_KASLR:
			if (parse_num(optarg, &v))
				return set_err(err, "--kaslr-offset %s: not a "
					       "number", optarg);
			o->discover.kaslr_offset = v;
			o->discover.have_kaslr_offset = true;
			break;
		case OPT_PHYS_BASE:
			if (parse_num(optarg, &v))
				return set_err(err, "--phys-base %s: not a "
					       "number", optarg);
			o->discover.phys_base = v;
			o->discover.have_phys_base = true;
			break;
		case OPT_DISCOVER:
			if (!strcmp(optarg, "auto"))
				o->discover.how = DISCOVER_AUTO;
			else if (!strcmp(optarg, "vmcoreinfo"))
				o->discover.how = DISCOVER_VMCOREINFO;
			else if (!strcmp(optarg, "banner"))
				o->discover.how = DISCOVER_BANNER;
			else
				return set_err(err, "--discover %s: expected "
					       "auto, vmcoreinfo or banner",
					       optarg);
			break;
		case OPT_QMP:
			o->qmp = optarg;
			break;
		case OPT_CACHE:
			if (!*optarg)
				return set_err(err, "--cache: empty path");
			o->cache = optarg;
			break;
		case OPT_MODULES:
			if (o->nr_module_dirs == OPTIONS_MAX_MODULE_DIRS)
				return set_err(err, "--modules: at most %d",
					       OPTIONS_MAX_MODULE_DIRS);
			if (!*optarg)
				return set_err(err, "--modules: empty path");
			o->module_dirs[o->nr_module_dirs++] = optarg;
			break;
		case OPT_NO_SYMBOLS:
			o->no_symbols = true;
			break;
		case OPT_NO_PAUSE:
			o->no_pause = true;
			break;
		case OPT_CONTROL:
			o->control = true;
			break;
		case OPT_MMIO:
			o->mmio = true;
			break;
		case OPT_WAIT:
			o->wait = true;
			if (optarg) {
				if (parse_num(optarg, &v) || v > 86400 * 365)
					return set_err(err, "--wait=%s: expected "
						       "seconds", optarg);
				o->wait_seconds = (unsigned)v;
			}
			break;
		case ':':
			return set_err(err, "%s needs an argument",
				       argv[optind - 1]);
		default:
			/* An unknown letter inside a cluster ("-xw"): optind
			 * has not moved past the argument yet. */
			if (optopt > 0 && optopt < 128 &&
			    !strchr("klLrwhV", optopt))
				return set_err(err, "unknown option -%c",
					       optopt);
			return set_err(err, "unknown option %s",
				       argv[optind - 1]);
		}
	}
	if (optind == argc)
		return set_err(err, "MEMORY (the guest RAM file) is missing");
	if (optind + 1 < argc)
		return set_err(err, "unexpected argument %s", argv[optind + 1]);
	o->memory = argv[optind];
	if (!o->vmlinux)
		return set_err(err, "--vmlinux FILE is required");
	if (o->nr_regions) {
		if (layout_given)
			return set_err(err, "--region and --layout %s exclude "
				       "each other", layout_name(o->layout));
		o->layout = LAYOUT_EXPLICIT;
	}
	int pid = memory_arg_pid(o->memory);
	if (pid < 0)
		return set_err(err, "%s: expected pid:PID", o->memory);
	bool is_pid = pid > 0;
	if (o->qmp && is_pid && o->nr_regions)
		return set_err(err, "--qmp and --region exclude each other "
			       "with pid:PID");
	if (!o->qmp && (o->no_pause || o->control || o->mmio))
		return set_err(err, "%s needs --qmp SOCKET",
			       o->no_pause ? "--no-pause"
			       : o->control ? "--control" : "--mmio");
	if (o->control && o->no_pause)
		return set_err(err, "--control and --no-pause exclude each "
			       "other");
	if (is_pid) {
		for (unsigned i = 0; i < o->nr_regions; i++)
			if (o->regions[i].offset == LAYOUT_OFFSET_NEXT)
				return set_err(err, "--region with pid:PID "
					       "needs @HOSTADDR");
	}
	if (!*o->listen)
		return set_err(err, "--listen: empty address");
	return 0;
}
