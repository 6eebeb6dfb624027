#!/bin/bash
# Throughput and latency of lkstub against QEMU's own gdbstub on the paused
# 5level-kaslr guest: raw m packets (build/tests/tools/rsp_client), 8-byte
# read latency with and without client and server on one core, gdb `dump
# binary memory` of 64 MiB, lkstub's start-up time and memory.
# Builds nothing: `make bench` runs `make all` first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../deps.sh" e2e
"$here/kernel.sh" >/dev/null
exec python3 "$here/e2e.py" bench "$@"
