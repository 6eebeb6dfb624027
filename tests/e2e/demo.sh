#!/bin/bash
# Boot the 5level-kaslr guest, attach lkstub, show gdb reading the live
# kernel, and print how to attach interactively.  With a terminal on stdin
# the guest keeps running until Enter; otherwise everything is cleaned up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../deps.sh" e2e
exec python3 "$here/e2e.py" demo "$@"
