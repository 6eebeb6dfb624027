/* Guest RAM in a file (QEMU memory-backend-file): mapped shared, so reads
 * see the running guest's writes without a syscall.
 *
 * When the VM exits, QEMU may truncate or remove the file; touching the
 * mapping past the new end raises SIGBUS. Each copy runs under the guard
 * (mem_guard.c): the source is marked failed, and the read comes back
 * short instead of killing lkstub. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "translate/guest_mem.h"
#include "translate/mem_guard.h"

struct mem_file {
	int fd;
	uint8_t *map;
	size_t size;
	char path[4096];
	char failure[ERR_LEN * 2];
};

static void mark_failed(struct mem_file *f)
{
	struct stat st;
	if (fstat(f->fd, &st) == 0 && (size_t)st.st_size < f->size)
		snprintf(f->failure, sizeof(f->failure),
			 "guest RAM file %.200s shrank from %zu to %lld bytes "
			 "(the VM has exited?)", f->path, f->size,
			 (long long)st.st_size);
	else
		snprintf(f->failure, sizeof(f->failure),
			 "guest RAM file %.200s can no longer be read (SIGBUS)",
			 f->path);
	fprintf(stderr, "lkstub: %s\n", f->failure);
}

static size_t mem_file_read(void *src, uint64_t off, void *buf, size_t len)
{
	struct mem_file *f = src;
	if (f->failure[0] || off > f->size || len > f->size - off)
		return 0;
	if (!mem_guard_copy(buf, f->map + off, len)) {
		mark_failed(f);
		return 0;
	}
	return len;
}

static int mem_file_write(void *src, uint64_t off, const void *buf,
			  size_t len, char *err)
{
	struct mem_file *f = src;
	if (f->failure[0])
		return set_err(err, "%s", f->failure);
	if (off > f->size || len > f->size - off)
		return set_err(err, "offset %#llx+%zu is past the end of %.100s",
			       (unsigned long long)off, len, f->path);
	if (!mem_guard_copy(f->map + off, buf, len)) {
		mark_failed(f);
		return set_err(err, "%s (part of the bytes may be written)",
			       f->failure);
	}
	return 0;
}

/* tmpfs and most file systems know their holes: a guest page that was
 * never written is one, and reading it through the mapping would make the
 * kernel allocate it. */
static uint64_t mem_file_next_data(void *src, uint64_t off, uint64_t *end)
{
	struct mem_file *f = src;
	off_t d = lseek(f->fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		if (errno == ENXIO)
			return UINT64_MAX; /* only a hole from off on */
		*end = f->size;
		return off; /* SEEK_DATA unsupported: all data */
	}
	off_t h = lseek(f->fd, d, SEEK_HOLE);
	*end = h < 0 ? f->size : (uint64_t)h;
	return (uint64_t)d;
}

static const char *mem_file_failure(void *src)
{
	struct mem_file *f = src;
	return f->failure[0] ? f->failure : NULL;
}

static void mem_file_close(void *src)
{
	struct mem_file *f = src;
	munmap(f->map, f->size);
	close(f->fd);
	free(f);
}

static const struct mem_source_ops mem_file_ops = {
	.name = "RAM file",
	.read = mem_file_read,
	.write = mem_file_write,
	.next_data = mem_file_next_data,
	.failure = mem_file_failure,
	.close = mem_file_close,
};

int guest_mem_open_file(struct guest_mem *m, const char *path, bool writable,
			char *err)
{
	memset(m, 0, sizeof(*m));
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return set_err(err, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return set_err(err, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		return set_err(err, "%s: not a regular non-empty file", path);
	}
	size_t size = (size_t)st.st_size;
	void *map = mmap(NULL, size, PROT_READ | (writable ? PROT_WRITE : 0),
			 MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		int e = errno;
		close(fd);
		return set_err(err, "%s: mmap: %s", path, strerror(e));
	}
	struct mem_file *f = calloc(1, sizeof(*f));
	if (!f) {
		munmap(map, size);
		close(fd);
		return set_err(err, "out of memory");
	}
	f->fd = fd;
	f->map = map;
	f->size = size;
	snprintf(f->path, sizeof(f->path), "%s", path);
	mem_guard_install();
	m->ops = &mem_file_ops;
	m->src = f;
	m->src_size = size;
	m->ram_base = 0;
	m->ram_size = size;
	m->writable = writable;
	return 0;
}
