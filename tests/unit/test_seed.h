/* The seed of a randomized test: LKSTUB_TEST_SEED when set (to rerun a
 * failure), otherwise a fresh one. Tests print the run's seed, and derive
 * each round's from it, so that one value reproduces the whole run. */
#ifndef LKSTUB_TEST_SEED_H
#define LKSTUB_TEST_SEED_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t test_seed(void)
{
	const char *s = getenv("LKSTUB_TEST_SEED");
	if (s && *s)
		return strtoull(s, NULL, 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 32);
}

#endif
