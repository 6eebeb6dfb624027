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
echo "ARGV $! $(tr '\0' ' ' < /proc/$!/cmdline)"
