/* The seed of a randomized test. By default a fixed one, so that `make
 * check` (and CI) does the same thing on every run; LKSTUB_TEST_SEED=N
 * (decimal or 0x hex) runs another one, LKSTUB_TEST_SEED=random a fresh
 * one each run (to explore). Tests print the run's seed, and derive each
 * round's from it, so that one value reproduces the whole run. */
#ifndef LKSTUB_TEST_SEED_H
#define LKSTUB_TEST_SEED_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_SEED_DEFAULT 0x6c6b737475620001ULL

static inline uint64_t test_seed(void)
{
	const char *s = getenv("LKSTUB_TEST_SEED");
	if (!s || !*s)
		return TEST_SEED_DEFAULT;
	if (!strcmp(s, "random")) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		return (uint64_t)ts.tv_sec * 1000000007ULL ^
		       (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		/* A typo must not quietly run some other seed. */
		fprintf(stderr, "LKSTUB_TEST_SEED=%s: not a number (or "
			"\"random\")\n", s);
		exit(2);
	}
	return v;
}

#endif
