/* Walking a circular `struct list_head` of the guest kernel. The list is
 * in memory the guest keeps changing (or a broken kernel corrupted): the
 * walk is bounded, stops at an unreadable or misaligned link, and ends a
 * loop that never comes back to its head. */
#ifndef LKSTUB_KERNEL_LIST_H
#define LKSTUB_KERNEL_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translate/paging.h"

/* Called for each node (the address of its list_head); false stops. */
typedef bool (*klist_visit)(void *arg, uint64_t node);

/* visit every node after head until the walk comes back to head, taking
 * one step of *budget per node. NULL when the whole list was walked, else
 * why the walk stopped. */
const char *klist_walk(const struct kernel_as *as, uint64_t head,
		       size_t *budget, klist_visit visit, void *arg);

/* An aligned kernel pointer at va. */
bool klist_read_ptr(const struct kernel_as *as, uint64_t va, uint64_t *p);

#endif
