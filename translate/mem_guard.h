/* Touching a mapped file that may shrink under lkstub (a QEMU RAM file
 * when the VM exits, a dump being truncated or rewritten): past the new
 * end the kernel raises SIGBUS. A guarded access turns that signal into a
 * failed call instead of the death of lkstub. */
#ifndef LKSTUB_MEM_GUARD_H
#define LKSTUB_MEM_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* Install the SIGBUS handler; call on every open of a mapped source
 * (something may have replaced it since). */
void mem_guard_install(void);
/* Copy len bytes; false if a SIGBUS cut it short (dst then holds an
 * unknown part of the bytes). Aligned 2-, 4- and 8-byte copies are single
 * loads: the guest writes concurrently. */
bool mem_guard_copy(void *dst, const void *src, size_t len);
/* Run fn(arg); false if a SIGBUS stopped it (fn is left in the middle:
 * whatever it allocated must be reachable from arg). Guards nest. */
bool mem_guard_call(void (*fn)(void *arg), void *arg);

#endif
