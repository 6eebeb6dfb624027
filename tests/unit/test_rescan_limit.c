/* The rate limit on rescans a client's attach triggers
 * (stub/target/rescan_limit.c), with time given by the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stub/target/rescan_limit.h"

#define S NS_PER_S
#define T0 (1000 * S) /* an arbitrary start: the monotonic clock is not 0 */

static void first_rescan_allowed(void **state)
{
	(void)state;
	struct rescan_limit l = { 0 };
	assert_true(rescan_limit_allow(&l, 0));
	assert_true(rescan_limit_allow(&l, T0));
}

/* A guest that keeps the check failing gets one rescan per wait, and
 * the wait doubles with each failure up to the most. */
static void failures_back_off(void **state)
{
	(void)state;
	struct rescan_limit l = { 0 };
	uint64_t now = T0, wait = RESCAN_MIN_NS;
	unsigned rescans = 0;
	for (int round = 0; round < 12; round++) {
		assert_true(rescan_limit_allow(&l, now));
		rescan_limit_done(&l, now, false);
		rescans++;
		/* Attaches all through the wait are refused. */
		for (uint64_t t = now; t < now + wait; t += wait / 8)
			assert_false(rescan_limit_allow(&l, t));
		assert_false(rescan_limit_allow(&l, now + wait - 1));
		now += wait;
		wait = 2 * wait < RESCAN_MAX_NS ? 2 * wait : RESCAN_MAX_NS;
	}
	assert_int_equal(rescans, 12);
	assert_int_equal(wait, RESCAN_MAX_NS);
	/* 2 + 4 + ... + 64 s, then 120 s each: far fewer than one per
	 * attach, whatever the attach rate. */
	assert_true(now - T0 >= 126 * S + 6 * RESCAN_MAX_NS);
}

/* A rescan that finds the kernel resets the back-off, but still holds
 * the next one off for the least wait. */
static void success_resets(void **state)
{
	(void)state;
	struct rescan_limit l = { 0 };
	uint64_t now = T0;
	for (int i = 0; i < 4; i++) {
		rescan_limit_done(&l, now, false);
		now = l.next_ns;
	}
	rescan_limit_done(&l, now, true);
	assert_false(rescan_limit_allow(&l, now + RESCAN_MIN_NS - 1));
	assert_true(rescan_limit_allow(&l, now + RESCAN_MIN_NS));
	now += RESCAN_MIN_NS;
	rescan_limit_done(&l, now, false); /* the first failure: the least */
	assert_true(rescan_limit_allow(&l, now + RESCAN_MIN_NS));
}

/* The kernel found where it was: the next failure waits the least. */
static void settled_resets_back_off(void **state)
{
	(void)state;
	struct rescan_limit l = { 0 };
	uint64_t now = T0;
	for (int i = 0; i < 5; i++) {
		rescan_limit_done(&l, now, false);
		now = l.next_ns;
	}
	rescan_limit_settled(&l);
	rescan_limit_done(&l, now, false);
	assert_false(rescan_limit_allow(&l, now + RESCAN_MIN_NS - 1));
	assert_true(rescan_limit_allow(&l, now + RESCAN_MIN_NS));
}

/* The user hears of a refused rescan once per wait, with the time left. */
static void told_once_per_wait(void **state)
{
	(void)state;
	struct rescan_limit l = { 0 };
	unsigned left;
	rescan_limit_done(&l, T0, false);
	assert_true(rescan_limit_tell(&l, T0 + S / 2, &left));
	assert_int_equal(left, 2); /* 1.5 s, rounded up */
	assert_false(rescan_limit_tell(&l, T0 + S, &left));
	assert_int_equal(left, 1);
	rescan_limit_done(&l, T0 + 2 * S, false);
	assert_true(rescan_limit_tell(&l, T0 + 2 * S, &left));
	assert_int_equal(left, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_rescan_allowed),
		cmocka_unit_test(failures_back_off),
		cmocka_unit_test(success_resets),
		cmocka_unit_test(settled_resets_back_off),
		cmocka_unit_test(told_once_per_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
