/* Automatic rescans in a child process. Looking for the kernel reads all
 * of guest RAM (tens of milliseconds per 512 MiB, more on a big guest),
 * and the server has one thread: done in place, every client would wait.
 * So a client's attach that finds the kernel gone (kt_on_attach) forks a
 * child that looks on its own copy of the target and sends back what it
 * found; the server goes on serving with what it had, and takes the
 * child's result between two packets. Rate-limited by rescan_limit.h.
 * `monitor rescan` still looks in place, and wins over a child that was
 * already running. */
#ifndef LKSTUB_RESCAN_CHILD_H
#define LKSTUB_RESCAN_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "symbols/kernel.h"

struct kernel_target;

struct rescan_result;

/* Zeroed: no child. */
struct rescan_child {
	pid_t pid;    /* 0 when no child runs */
	int fd;       /* its result comes here, non-blocking */
	struct rescan_result *r; /* what came so far */
	size_t got;
	pid_t exited; /* a child that sent all but was not reaped yet */
	struct kernel_info ki_before; /* to see a rescan in place meanwhile */
};

/* The kernel is not where it was (kt_on_attach): start a child unless one
 * runs or the rate limit says wait; looks in place if it cannot fork. */
void rescan_on_attach(struct kernel_target *kt);
/* The fd to wait on while a child runs, or -1. */
int rescan_child_fd(const struct kernel_target *kt);
/* Its fd became readable: take what came; once the result is whole (or
 * the child is gone), apply it. Never waits for the child. */
void rescan_child_finish(struct kernel_target *kt);
/* Ends a child that still runs and frees what is left (at the end). */
void rescan_child_stop(struct kernel_target *kt);

#endif
