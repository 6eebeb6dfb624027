/* lkstub's command line. */
#ifndef LKSTUB_OPTIONS_H
#define LKSTUB_OPTIONS_H

#include <stdbool.h>

#include "symbols/kernel.h"
#include "translate/layout.h"

#define DEFAULT_LISTEN "127.0.0.1:1234"
#define OPTIONS_MAX_REGIONS 256 /* --region on one command line */
#define OPTIONS_MAX_MODULE_DIRS 16

struct options {
	const char *memory;
	const char *vmlinux;
	const char *listen;
	const char *qmp;      /* QEMU's QMP socket (--qmp) */
	bool no_pause;        /* --no-pause */
	bool control;         /* --control */
	bool mmio;            /* --mmio */
	enum layout_kind layout;
	struct guest_region regions[OPTIONS_MAX_REGIONS];
	unsigned nr_regions;
	bool write;
	struct discover_opts discover;
	const char *cache;    /* --cache DIR, or NULL for the default */
	bool no_symbols;
	const char *module_dirs[OPTIONS_MAX_MODULE_DIRS]; /* --modules */
	unsigned nr_module_dirs;
	bool wait;
	unsigned wait_seconds; /* 0: wait for ever */
	bool help, version;
};

/* Parse argv; -1 with a message naming the argument (exit status 2). */
int options_parse(struct options *o, int argc, char **argv, char *err);
extern const char options_usage[];

#endif
