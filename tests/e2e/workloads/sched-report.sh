# Started by busy.sh. Each round, on CPU 3 for 20 s: a SCHED_FIFO task that
# spins (RT throttling leaves the rest of each second to others) and a
# SCHED_DEADLINE task of 100% bandwidth (runtime = deadline = period =
# 100 ms: never throttled, so it stays in the deadline tree; it preempts
# the RT task, which waits in its priority list); then, once both are in their class, the
# runnable lines of the kernel's scheduler debug file (the guest's own view of every run queue)
# between SCHED-BEGIN and SCHED-END, and each sleeper's /proc/PID/wchan.
# sched_checks.py pauses the guest right after a SCHED-END.
# Nothing before the init is READY (a CPU held by a deadline task slows
# its last steps).
while [ ! -e /tmp/ready ]; do sleep 1; done
mount -t debugfs none /sys/kernel/debug 2>/dev/null
dbg=/sys/kernel/debug/sched/debug
[ -r "$dbg" ] || dbg=/proc/sched_debug
n=0
while :; do
    n=$((n + 1))
    taskset -c 3 /bin/schedtool fifo 10 20 &
    rt=$!
    # The deadline task will hold CPU 3: let the RT one become RT first
    # (field 41 of /proc/PID/stat: the policy, 1 = SCHED_FIFO).
    i=0
    while [ $i -lt 100 ] && [ "$(cut -d' ' -f41 /proc/$rt/stat 2>/dev/null)" != 1 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    taskset -c 3 /bin/schedtool dl 100000000 100000000 100000000 20 &
    dl=$!
    i=0     # and the deadline one deadline (6 = SCHED_DEADLINE)
    while [ $i -lt 100 ] && [ "$(cut -d' ' -f41 /proc/$dl/stat 2>/dev/null)" != 6 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep 0.5
    # The serial console is slow under TCG: only the run queues' task
    # lists (the CPU headers, the column header, the runnable lines).
    out=$(grep -E '^(cpu#| S +task|>R| R )' "$dbg" 2>&1)
    w=""
    for p in $(cat /tmp/sched-sleepers 2>/dev/null); do
        w="$w
WCHAN $p $(cat /proc/$p/wchan)"
    done
    echo "SCHED-BEGIN $n rt=$rt dl=$dl reader=$$ file=$dbg
$out$w
SCHED-END $n"
    wait
done
