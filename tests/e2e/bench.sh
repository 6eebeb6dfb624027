#!/bin/bash
# Throughput and latency of lkstub against QEMU's own gdbstub on the paused
# 5level-kaslr guest: raw m packets (build/tests/tools/rsp_client), 8-byte
# read latency with and without client and server on one core, gdb `dump
# binary memory` of 64 MiB, lkstub's start-up time and memory; lkstub
# reading guest RAM from the QEMU process (pid:) vs from the RAM file; then
# x (binary) vs m (hex) bulk reads through lkstub; then `info threads` and
# `thread apply all bt` on a guest with 10,000 tasks.
# Builds nothing: `make bench` runs `make all` first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../deps.sh" e2e
"$here/kernel.sh" >/dev/null
python3 "$here/e2e.py" bench "$@"
# lkstub on pid:QEMUPID (process_vm_readv) vs on the RAM file, same guest
python3 "$here/vmm_checks.py" bench
# bulk reads with x packets (binary) vs m packets (hex)
python3 "$here/xread_bench.py"
# ~10,000 tasks (100 processes x 100 threads): info threads, thread apply all bt
exec python3 "$here/tasks_checks.py" tasks10k
