/* Guest physical memory: guest-physical ranges (regions) backed by a source.
 *
 * Every access is checked against the regions, so no address a guest or a
 * client supplies can reach host memory outside the source. A read stops at
 * the first byte that is not backed (a hole, or a source that failed) and
 * says how many bytes it got; callers build partial replies from that.
 *
 * The source is behind an ops table so that a mapped file, a running VMM's
 * address space or an ELF dump can all stand behind the same regions. */
#ifndef LKSTUB_GUEST_MEM_H
#define LKSTUB_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A bound, not a size: regions are allocated as they are added. Real
 * dumps (makedumpfile -E, kdump) have thousands of PT_LOADs. */
#define GUEST_MAX_REGIONS (1u << 20)

struct guest_region {
	uint64_t gpa;    /* first guest-physical address */
	uint64_t size;   /* bytes */
	uint64_t offset; /* where gpa lives in the source */
};

struct mem_source_ops {
	const char *name;
	/* Copy up to len bytes from source offset off; returns bytes copied,
	 * short only when the source fails (file shrank, process gone).
	 * Aligned 2-, 4- and 8-byte reads must be single accesses where the
	 * source can do that: the guest writes concurrently. */
	size_t (*read)(void *src, uint64_t off, void *buf, size_t len);
	/* Copy len bytes to the source, all or nothing where the source can
	 * check first; 0 on success, -1 with err saying what was written
	 * and why not the rest. */
	int (*write)(void *src, uint64_t off, const void *buf, size_t len,
		     char *err);
	/* Where data starts at or after off, and (in *end) where it stops:
	 * lets a scan skip holes of a sparse file without touching (and so
	 * allocating) them. NULL: everything is data. */
	uint64_t (*next_data)(void *src, uint64_t off, uint64_t *end);
	/* Non-NULL when the source has failed for good; says why. */
	const char *(*failure)(void *src);
	void (*close)(void *src);
};

struct guest_mem {
	const struct mem_source_ops *ops;
	void *src;
	uint64_t src_size;
	/* Where the guest's RAM is in the source, for the layouts: a RAM
	 * file is all RAM (0, src_size); a VMM's address space holds it in
	 * one mapping. */
	uint64_t ram_base, ram_size;
	bool writable;
	struct guest_region *regions; /* sorted by gpa, disjoint */
	unsigned nr_regions, cap_regions;
};

/* Open a raw RAM file (QEMU memory-backend-file) as the source, mapped
 * shared; read-only unless writable. No regions yet. */
int guest_mem_open_file(struct guest_mem *m, const char *path, bool writable,
			char *err);
/* The address space of a running VMM process: the source's offsets are
 * its virtual addresses. Regions (and ram_base/ram_size) come after. */
int guest_mem_open_process(struct guest_mem *m, int pid, bool writable,
			   char *err);
/* Use a caller-owned buffer as the source (tests, data already in memory). */
int guest_mem_open_buffer(struct guest_mem *m, void *buf, size_t size,
			  bool writable, char *err);
void guest_mem_close(struct guest_mem *m);

/* Add one region; refuses overlaps and ranges beyond the source. */
int guest_mem_add_region(struct guest_mem *m, uint64_t gpa, uint64_t size,
			 uint64_t offset, char *err);
void guest_mem_clear_regions(struct guest_mem *m);

/* Trying a layout aside: a view is a copy of m's regions and RAM window
 * over the same source, so a failed search for the kernel leaves m as it
 * was. guest_mem_swap_view exchanges the two sets of regions; closing a
 * view frees its regions, never the source. */
int guest_mem_view(struct guest_mem *view, const struct guest_mem *m,
		   char *err);
void guest_mem_swap_view(struct guest_mem *m, struct guest_mem *view);
void guest_mem_close_view(struct guest_mem *view);

/* The region holding gpa, or NULL. */
const struct guest_region *guest_mem_find(const struct guest_mem *m,
					  uint64_t gpa);
/* Bytes from gpa to the end of its region; 0 when gpa is in no region. */
uint64_t guest_mem_avail(const struct guest_mem *m, uint64_t gpa);
/* Largest gpa+1 of any region. */
uint64_t guest_mem_end(const struct guest_mem *m);

/* The first GPA at or after gpa, inside gpa's region, whose bytes the
 * source holds as data (not a never-written hole); *end gets the end of that
 * run inside the region. Returns UINT64_MAX when the rest of the region is
 * a hole or gpa is in no region. */
uint64_t guest_mem_next_data(const struct guest_mem *m, uint64_t gpa,
			     uint64_t *end);

/* Read across regions; returns the bytes read before the first hole. */
size_t guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf,
		      size_t len);
/* One aligned 8-byte load (page-table entries, scalars). */
bool guest_mem_read_u64(const struct guest_mem *m, uint64_t gpa,
			uint64_t *val);
/* Write all of buf or nothing (checked before the first byte is written). */
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf,
		    size_t len, char *err);
/* Why the source stopped working, or NULL while it is healthy. */
const char *guest_mem_failure(const struct guest_mem *m);

#endif
