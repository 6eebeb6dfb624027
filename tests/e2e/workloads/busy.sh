# Tasks that keep CPUs busy, for the checks of what running CPUs do:
# a busy loop in user mode pinned to CPU 0, one in the kernel (clearing a
# 64 MiB buffer over and over: read(2) of /dev/zero) pinned to CPU 1.
# Each task prints "WORK PID ROLE CPU".
taskset -c 0 sh -c 'while :; do :; done' &
echo "WORK $! user-spin 0"
taskset -c 1 dd if=/dev/zero of=/dev/null bs=64M &
echo "WORK $! kernel-spin 1"
# A sleeper whose argv gdb reads through its own page tables.
sleep 1000001 &
echo "WORK $! sleeper-argv 0"
sleep 1 # its exec done
# pid, mm->arg_start (field 48 of stat), the arguments.
echo "ARGV $! $(cut -d' ' -f48 /proc/$!/stat) $(tr '\0' ' ' < /proc/$!/cmdline)"
# For the scheduler checks (sched_checks.py), after the two above. Lines
# "SCHED PID ROLE CPU" (not WORK: these are not the vCPU checks' tasks).
# CPU 2: two more busy loops, so that its fair tree holds a waiting task.
for i in 1 2; do
    taskset -c 2 sh -c 'while :; do :; done' &
    echo "SCHED $! fair-spin 2"
done
# One of them in a cgroup of its own with the cpu controller: a group
# entity in CPU 2's fair tree, its cfs_rq nested (if cgroup2 mounts).
mkdir -p /sys/fs/cgroup
if mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null &&
   echo +cpu > /sys/fs/cgroup/cgroup.subtree_control &&
   mkdir /sys/fs/cgroup/lkstub-grp && echo $! > /sys/fs/cgroup/lkstub-grp/cgroup.procs; then
    echo "SCHED $! group-spin 2 /lkstub-grp"
fi
# Sleepers pinned to CPUs 2 and 3 (their /proc/PID/wchan is printed).
for c in 2 3; do
    taskset -c $c sleep 1000000 &
    echo "SCHED $! sleeper $c"
    echo $! >> /tmp/sched-sleepers
done
# The guest's own view of its run queues, printed over and over (with an
# RT and a deadline task running): see sched-report.sh.
[ -x /bin/schedtool ] && taskset -c 2 sh /workload/sched-report.sh &
