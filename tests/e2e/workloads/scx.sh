# sched_ext (scx-x86): the scx_qmap BPF scheduler, then tasks for it to
# schedule, then the guest's own view of sched_ext printed over and over.
# Lines: "SCX PID ROLE CPU" per task started, "SCX-STATE ..." once the
# scheduler is in, "SCX-BPF-MAPS JSON" (bpftool map show), "SCX-BPF-PROGS
# JSON" (bpftool prog show), "SCX-BEGIN n" ... "SCX-END n" around each copy
# (its last lines "bpf-peek queueN JSON").
mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ ! -x /bin/scx_qmap ] || [ ! -d /sys/kernel/sched_ext ]; then
    echo "SCX-STATE no-scx"
    exit 0
fi
# scx_qmap prints its counters (stats : enq=N dsp=N ...) every second, into
# a file: each copy below takes its last line (the serial console lags
# behind the guest by up to a second or more: a copy's place in the
# serial log orders it with a pause only through its own lines).
scx_qmap > /tmp/scx_qmap.out 2>&1 &
echo "SCX $! scx_qmap -1"
i=0
while [ "$(cat /sys/kernel/sched_ext/state)" != enabled ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
echo "SCX-STATE $(cat /sys/kernel/sched_ext/state) ops=$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null) after ${i}00ms"
# The BPF maps as bpftool sees them (ids, names, sizes, max_entries), once:
# scx_qmap makes them all when it loads (JSON, a line: long, the serial
# console is slow, so not in each copy).
[ -x /bin/bpftool ] && echo "SCX-BPF-MAPS $(bpftool -j map show 2>&1)"
# And its programs, with the ids of the maps each uses.
[ -x /bin/bpftool ] && echo "SCX-BPF-PROGS $(bpftool -j prog show 2>&1)"
# A busy loop pinned to each CPU, two more on CPU 2 (so that tasks wait
# there: in scx_qmap's queues or a dispatch queue), sleepers on CPUs 1 and 3.
for c in 0 1 2 3 2 2; do
    taskset -c $c sh -c 'while :; do :; done' &
    echo "SCX $! spin $c"
done
for c in 1 3; do
    taskset -c $c sleep 1000000 &
    echo "SCX $! sleeper $c"
done
# The guest's view, after the init is READY, every 2 s, on CPU 3: the
# sched_ext sysfs files, scx_qmap's last counters, the runnable tasks
# (state R) with their CPU and ext.enabled, the number of tasks on
# sched_ext. (6.12 has no /sys/kernel/debug/sched/ext; its sched debug
# file is left out: long, and the serial console is slow.)
taskset -c 3 sh -c '
    while [ ! -e /tmp/ready ]; do sleep 0.2; done
    n=0
    while :; do
        n=$((n + 1))
        {
            echo "SCX-BEGIN $n reader=$$"
            for f in /sys/kernel/sched_ext/*; do
                [ -f "$f" ] && echo "sysfs ${f##*/} $(cat "$f")"
            done
            echo "sysfs root/ops $(cat /sys/kernel/sched_ext/root/ops 2>/dev/null)"
            echo "qmap $(grep "^stats" /tmp/scx_qmap.out | tail -n 1)"
            # Each runnable task (state R) with its CPU and whether it is
            # on sched_ext, then the number of tasks on sched_ext; shell
            # builtins only (forks are slow under TCG, the CPUs are busy).
            x=0
            for d in /proc/[0-9]*; do
                e=?
                while read -r k _ v; do
                    [ "$k" = ext.enabled ] && e=$v
                done < $d/sched 2>/dev/null
                [ "$e" = 1 ] && x=$((x + 1))
                read -r st < $d/stat 2>/dev/null || continue
                set -- $st
                [ "$3" = R ] || continue
                read -r comm < $d/comm 2>/dev/null
                echo "task ${d#/proc/} $3 cpu=${39} ext=$e $comm"
            done
            echo "ext-tasks $x"
        } > /tmp/scx-report
        cat /tmp/scx-report
        # The head of each of the FIFOs of scx_qmap (queue0..4) by "map peek",
        # printed straight to the console after the rest: closest to the
        # pause (which follows SCX-END). Only a pop would show more of a
        # queue than its head: never done (it would take the task from
        # the scheduler). "map dump" (copy 1) lists none: no keys.
        if [ -x /bin/bpftool ]; then
            [ $n = 1 ] && echo "bpf-dump queue2 $(bpftool -j map dump name queue2 2>&1)"
            for q in 0 1 2 3 4; do
                echo "bpf-peek queue$q $(bpftool -j map peek name queue$q 2>&1)"
            done
        fi
        echo "SCX-END $n"
        sleep 2
    done' &
