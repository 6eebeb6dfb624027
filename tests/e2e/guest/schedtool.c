/* schedtool: put the calling task in a scheduling class, then spin or
 * sleep; for the e2e guests (busybox has no chrt). Static, libc only.
 *
 *   schedtool fifo PRIO SECONDS                  SCHED_FIFO, spin SECONDS
 *   schedtool dl RUNTIME DEADLINE PERIOD SECONDS SCHED_DEADLINE (ns), spin
 *   schedtool sleep-fifo PRIO SECONDS            SCHED_FIFO, sleep SECONDS
 *
 * SECONDS 0: for ever. A SCHED_DEADLINE task must be allowed on every CPU
 * of its root domain: its affinity is widened first, which leaves it on
 * the CPU it runs on (start it under `taskset -c N` to choose the CPU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

struct attr {                   /* struct sched_attr, uapi/linux/sched/types.h */
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin(double secs)
{
    double end = now() + secs;
    while (secs == 0 || now() < end)
        for (volatile int i = 0; i < 100000; i++)
            ;
}

static int setattr(struct attr *a)
{
    a->size = sizeof(*a);
    if (syscall(SYS_sched_setattr, 0, a, 0) != 0) {
        fprintf(stderr, "schedtool: sched_setattr policy %u: %s\n", a->policy, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct attr a;
    memset(&a, 0, sizeof(a));
    if (argc == 4 && (!strcmp(argv[1], "fifo") || !strcmp(argv[1], "sleep-fifo"))) {
        a.policy = SCHED_FIFO;
        a.priority = atoi(argv[2]);
        if (setattr(&a))
            return 1;
        if (argv[1][0] == 's') {
            unsigned s = atoi(argv[3]);
            while (s == 0)
                pause();
            sleep(s);
        } else {
            spin(atof(argv[3]));
        }
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "dl")) {
        cpu_set_t all;
        CPU_ZERO(&all);
        for (int c = 0; c < CPU_SETSIZE; c++)
            CPU_SET(c, &all);
        sched_setaffinity(0, sizeof(all), &all);
        a.policy = SCHED_DEADLINE;
        a.runtime = strtoull(argv[2], NULL, 0);
        a.deadline = strtoull(argv[3], NULL, 0);
        a.period = strtoull(argv[4], NULL, 0);
        if (setattr(&a))
            return 1;
        spin(atof(argv[5]));
        return 0;
    }
    fprintf(stderr, "usage: schedtool fifo|sleep-fifo PRIO SECONDS\n"
                    "       schedtool dl RUNTIME DEADLINE PERIOD SECONDS\n");
    return 2;
}
