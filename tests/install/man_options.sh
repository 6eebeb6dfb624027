#!/bin/bash
# The man page's OPTIONS and `lkstub --help` list the same options, spelled
# the same (`-k, --vmlinux FILE`), so neither can go stale alone.
#
#   tests/install/man_options.sh LKSTUB MANPAGE
#
# Options in --help: lines indented 2 to 6 spaces that start with '-', up
# to the gap before their description. In the man page: the tags of the
# OPTIONS section as groff renders them (plain text, 7 spaces in). Prints
# what only one side has; exits 1 when they differ or either is empty.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 LKSTUB MANPAGE" >&2; exit 2; }
lkstub=$1 page=$2

from_help=$("$lkstub" --help | grep -E '^ {2,6}-' |
            sed -E 's/^ +//; s/ {2,}.*//' | sort)
from_man=$(groff -man -Tascii -rLL=200n -P-cbou "$page" 2>/dev/null |
           sed -n '/^OPTIONS$/,/^[A-Z]/p' | grep -E '^ {7}-' |
           sed -E 's/^ +//; s/ {2,}.*//' | sort)

rc=0
if [ -z "$from_help" ] || [ -z "$from_man" ]; then
    echo "man_options: no options found (--help: $(echo "$from_help" | grep -c .)," \
         "man page: $(echo "$from_man" | grep -c .))"
    exit 1
fi
while IFS= read -r o; do
    echo "man_options: in --help, not in $page: $o"
    rc=1
done < <(comm -23 <(echo "$from_help") <(echo "$from_man"))
while IFS= read -r o; do
    echo "man_options: in $page, not in --help: $o"
    rc=1
done < <(comm -13 <(echo "$from_help") <(echo "$from_man"))
exit $rc
