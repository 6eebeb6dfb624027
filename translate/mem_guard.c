/* The SIGBUS guard of mapped sources (mem_file.c, mem_elfcore.c): a
 * guarded access records a jump buffer; the handler jumps back to it. */
#include "translate/mem_guard.h"

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* Only the signal handler reads it: volatile plus signal fences keep the
 * compiler from dropping or moving the stores around the access. */
static __thread sigjmp_buf *volatile fault_jmp;

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (fault_jmp)
		siglongjmp(*fault_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

void mem_guard_install(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = sigbus_handler;
	/* NODEFER: we leave the handler by siglongjmp without restoring the
	 * mask (sigsetjmp(.., 0) is cheap: no syscall per read). */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* Scalar sizes as single loads: gdb reads a variable with one m packet of
 * its size. dst may be anywhere (an m reply is read straight into the
 * output queue), so it is stored with memcpy. */
static void copy_in(void *dst, const void *src, size_t len)
{
	uintptr_t a = (uintptr_t)src;
	if (len == 8 && !(a & 7)) {
		uint64_t v = *(const volatile uint64_t *)src;
		memcpy(dst, &v, 8);
	} else if (len == 4 && !(a & 3)) {
		uint32_t v = *(const volatile uint32_t *)src;
		memcpy(dst, &v, 4);
	} else if (len == 2 && !(a & 1)) {
		uint16_t v = *(const volatile uint16_t *)src;
		memcpy(dst, &v, 2);
	} else {
		memcpy(dst, src, len);
	}
}

bool mem_guard_call(void (*fn)(void *arg), void *arg)
{
	sigjmp_buf jb;
	sigjmp_buf *volatile prev = fault_jmp;
	if (sigsetjmp(jb, 0)) {
		fault_jmp = prev;
		return false;
	}
	fault_jmp = &jb;
	atomic_signal_fence(memory_order_seq_cst);
	fn(arg);
	atomic_signal_fence(memory_order_seq_cst);
	fault_jmp = prev;
	return true;
}

struct copy_args {
	void *dst;
	const void *src;
	size_t len;
};

static void copy_fn(void *arg)
{
	const struct copy_args *c = arg;
	copy_in(c->dst, c->src, c->len);
}

bool mem_guard_copy(void *dst, const void *src, size_t len)
{
	struct copy_args c = { dst, src, len };
	return mem_guard_call(copy_fn, &c);
}
