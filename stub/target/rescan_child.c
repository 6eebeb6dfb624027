#include "stub/target/rescan_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "stub/target/kernel_target.h"

/* What a child found, sent back through its pipe: this, then nr_regions
 * regions (the layout it found the kernel in may differ). */
struct rescan_result {
	int rc;
	char err[ERR_LEN];
	struct kernel_info ki;
	struct locate_result where;
	uint64_t ram_base, ram_size;
	unsigned nr_regions;
	struct guest_region regions[]; /* ... up to GUEST_MAX_REGIONS */
};

static void write_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p = (const char *)p + n;
		len -= (size_t)n;
	}
}

/* Reaps a child that has exited, without waiting for one that has not. */
static void reap(struct rescan_child *c)
{
	if (c->exited > 0 && waitpid(c->exited, NULL, WNOHANG) != 0)
		c->exited = 0;
}

/* In the child: look on a view of this copy of the target, send what
 * was found, and go. */
static void run_child(struct kernel_target *kt, int fd)
{
	static struct rescan_result r;
	struct guest_mem view;
	/* Serving comes first: the look takes a core the server may need. */
	setpriority(PRIO_PROCESS, 0, 19);
	memset(&r, 0, sizeof(r));
	r.rc = !kt->finder.locate
		       ? set_err(r.err, "no way to look again")
		       : guest_mem_view(&view, kt->mem, r.err)
				 ? -1
				 : kt->finder.locate(kt->finder.ctx, &view,
						     kt->vm, &r.ki, &r.where,
						     r.err);
	if (r.rc == 0) {
		r.ram_base = view.ram_base;
		r.ram_size = view.ram_size;
		r.nr_regions = view.nr_regions;
	}
	write_all(fd, &r, sizeof(r));
	if (r.rc == 0)
		write_all(fd, view.regions,
			  view.nr_regions * sizeof(view.regions[0]));
	_exit(0);
}

/* The old way, when there is no child: look in place. */
static void rescan_in_place(struct kernel_target *kt)
{
	char err[ERR_LEN];
	int rc = kernel_target_rescan(kt, err);
	if (rc)
		fprintf(stderr, "lkstub: %s\n", err);
	rescan_limit_done(&kt->rescan_limit, clock_now_ns(), rc == 0);
}

void rescan_on_attach(struct kernel_target *kt)
{
	struct rescan_child *c = &kt->rescan_child;
	unsigned wait_s;
	uint64_t now = clock_now_ns();
	if (c->pid > 0)
		return; /* one is looking already */
	if (!rescan_limit_allow(&kt->rescan_limit, now)) {
		if (rescan_limit_tell(&kt->rescan_limit, now, &wait_s))
			fprintf(stderr, "lkstub: the kernel is no longer where "
				"it was; next look in %u s (monitor rescan "
				"looks now)\n", wait_s);
		return;
	}
	fprintf(stderr, "lkstub: the kernel is no longer where it was "
		"(reboot?): looking again\n");
	reap(c);
	int p[2];
	free(c->r);
	c->r = malloc(sizeof(*c->r));
	if (c->r && pipe2(p, O_CLOEXEC) == 0) {
		fflush(NULL); /* nothing buffered may be written twice */
		pid_t pid = fork();
		if (pid == 0) {
			close(p[0]);
			run_child(kt, p[1]);
		}
		close(p[1]);
		if (pid > 0 && fcntl(p[0], F_SETFL, O_NONBLOCK) == 0) {
			c->fd = p[0];
			c->pid = pid;
			c->got = 0;
			c->ki_before = kt->ki;
			return;
		}
		close(p[0]);
		if (pid > 0) { /* cannot wait on it: let it go */
			kill(pid, SIGKILL);
			c->exited = pid;
		}
	}
	rescan_in_place(kt);
}

int rescan_child_fd(const struct kernel_target *kt)
{
	return kt->rescan_child.pid > 0 ? kt->rescan_child.fd : -1;
}

/* The child's find becomes the target's, as a rescan in place would. */
static void take(struct kernel_target *kt, const struct rescan_result *r)
{
	struct guest_mem view;
	char err[ERR_LEN];
	uint64_t old = kt->ki.kaslr_offset;
	if (guest_mem_view(&view, kt->mem, err)) {
		fprintf(stderr, "lkstub: %s\n", err);
		return;
	}
	guest_mem_clear_regions(&view);
	view.ram_base = r->ram_base;
	view.ram_size = r->ram_size;
	for (unsigned i = 0; i < r->nr_regions; i++)
		if (guest_mem_add_region(&view, r->regions[i].gpa,
					 r->regions[i].size,
					 r->regions[i].offset, err)) {
			fprintf(stderr, "lkstub: rescan result: %s\n", err);
			guest_mem_close_view(&view);
			return;
		}
	kernel_target_take(kt, &view, &r->ki, &r->where);
	guest_mem_close_view(&view); /* the old regions */
	kernel_target_found_again(kt, old);
}

/* How many bytes the child's whole result has, as far as it is known. */
static size_t result_size(const struct rescan_child *c)
{
	size_t n = sizeof(*c->r);
	if (c->got >= n && c->r->rc == 0)
		n += (size_t)c->r->nr_regions * sizeof(c->r->regions[0]);
	return n;
}

void rescan_child_finish(struct kernel_target *kt)
{
	struct rescan_child *c = &kt->rescan_child;
	if (c->pid <= 0)
		return;
	ssize_t n = read(c->fd, (char *)c->r + c->got, result_size(c) - c->got);
	if (n > 0)
		c->got += (size_t)n;
	/* The header is in: make room for the regions it announces. */
	if (n > 0 && c->got == sizeof(*c->r) && result_size(c) > c->got) {
		struct rescan_result *g = NULL;
		if (c->r->nr_regions <= GUEST_MAX_REGIONS)
			g = realloc(c->r, result_size(c));
		if (g) {
			c->r = g;
		} else {
			c->r->rc = set_err(c->r->err, "rescan result too large");
			c->r->nr_regions = 0;
		}
	}
	bool whole = c->got >= sizeof(*c->r) && c->got == result_size(c);
	if (!whole && (n > 0 || (n < 0 && (errno == EAGAIN ||
					   errno == EINTR))))
		return; /* more to come */
	close(c->fd);
	c->exited = c->pid; /* it has sent all it will: it is exiting */
	c->pid = 0;
	reap(c);
	const struct rescan_result *r = c->r;
	bool found = whole && r->rc == 0;
	if (!whole)
		fprintf(stderr, "lkstub: the rescan ended without a result\n");
	else if (r->rc)
		fprintf(stderr, "lkstub: %s\n", r->err);
	else if (memcmp(&kt->ki, &c->ki_before, sizeof(kt->ki)))
		; /* monitor rescan looked meanwhile: its find stands */
	else
		take(kt, r);
	free(c->r);
	c->r = NULL;
	rescan_limit_done(&kt->rescan_limit, clock_now_ns(), found);
}

void rescan_child_stop(struct kernel_target *kt)
{
	struct rescan_child *c = &kt->rescan_child;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		close(c->fd);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	if (c->exited > 0)
		waitpid(c->exited, NULL, 0);
	c->exited = 0;
	free(c->r);
	c->r = NULL;
}
