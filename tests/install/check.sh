#!/bin/bash
# `make install` and `make uninstall` into temporary DESTDIRs, with the
# default PREFIX (/usr/local) and with PREFIX=/usr:
#
# - the binary, the man page and the gdb helpers land where they should,
#   and nothing else;
# - the installed lkstub runs: --version matches the man page's header,
#   --help exits 0, a bad option exits 2;
# - the installed man page renders with no warning (groff -ww, and man
#   --warnings as lintian runs it), `man -M` finds it, it names the gdb
#   helpers' directory under PREFIX, and its OPTIONS agree with --help
#   (man_options.sh);
# - `make uninstall` leaves no file behind, nor lkstub's own directories.
#
#   tests/install/check.sh    (make check-install; MAKE and O from make)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
make_cmd=${MAKE:-make}
O=${O:-build}
passed=0 failed=0

check() { # NAME COMMAND...: passes when COMMAND succeeds
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/     /' | head -20
    fi
}

silent() { # COMMAND...: succeeds when COMMAND succeeds with nothing on stderr
    local out
    out=$("$@" 2>&1 >/dev/null) || { printf '%s\n' "$out"; return 1; }
    [ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

exits() { # STATUS COMMAND...
    local want=$1
    shift
    "$@" >/dev/null 2>&1
    local got=$?
    [ "$got" = "$want" ] || { echo "exit status $got, expected $want"; return 1; }
}

same_files() { # DIR EXPECTED...: the files and links under DIR, exactly
    local dir=$1
    shift
    diff <(printf '%s\n' "$@" | sort) \
         <(cd "$dir" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
helpers=()
for f in "$root"/tools/gdb/*.py; do helpers+=("$(basename "$f")"); done
version=$("$root/$O/lkstub" --version 2>/dev/null | awk '{print $2}')

for prefix in default /usr; do
    dest=$tmp/dest-${prefix//\//}
    if [ "$prefix" = default ]; then
        args=() p=/usr/local
    else
        args=("PREFIX=$prefix") p=$prefix
    fi
    tag="PREFIX=$p:"
    check "$tag make install" \
        "$make_cmd" -C "$root" --no-print-directory -s O="$O" "${args[@]}" \
        DESTDIR="$dest" install
    bin=$dest$p/bin/lkstub
    page=$dest$p/share/man/man1/lkstub.1
    want=("${p#/}/bin/lkstub" "${p#/}/share/man/man1/lkstub.1")
    for h in "${helpers[@]}"; do want+=("${p#/}/share/lkstub/gdb/$h"); done
    check "$tag exactly the binary, lkstub.1 and ${#helpers[@]} gdb helper(s)" \
        same_files "$dest" "${want[@]}"
    check "$tag the binary is executable, the rest read-only data" \
        bash -c '[ -x "$1" ] && ! [ -x "$2" ] && [ "$(stat -c %a "$2")" = 644 ]' \
        _ "$bin" "$page"
    check "$tag lkstub --version says $version" \
        bash -c '[ "$("$1" --version)" = "lkstub $2" ]' _ "$bin" "$version"
    check "$tag lkstub --help exits 0 with the usage" \
        bash -c '"$1" --help | head -1 | grep -q "^usage: lkstub "' _ "$bin"
    check "$tag lkstub --no-such-option exits 2" exits 2 "$bin" --no-such-option
    check "$tag the man page header carries the same version" \
        grep -q "^\.TH LKSTUB 1 .*\"lkstub $version\"" "$page"
    check "$tag groff -man -ww renders it without a warning" \
        silent groff -man -Tutf8 -ww -z "$page"
    check "$tag man --warnings (as lintian) renders it without a warning" \
        silent env LC_ALL=C.UTF-8 MANROFFSEQ= MANWIDTH=80 \
        man --warnings -E UTF-8 -l -Tutf8 -Z "$page"
    check "$tag MANWIDTH=80 man -l renders it, no line over 80 columns" \
        bash -c 'out=$(MANWIDTH=80 man -l "$1" 2>&1) && [ -n "$out" ] &&
                 ! printf "%s\n" "$out" | awk "length > 80 {print; bad=1}
                                               END {exit !bad}"' _ "$page"
    check "$tag man -M finds the installed page" \
        bash -c 'MANWIDTH=80 man -M "$1" lkstub 2>/dev/null | grep -q "^NAME"' \
        _ "$dest$p/share/man"
    check "$tag the man page names the gdb helpers at $p/share/lkstub/gdb" \
        bash -c 'groff -man -Tascii -P-cbou "$1" 2>/dev/null |
                 grep -q "$2/share/lkstub/gdb/" && [ -f "$3" ]' \
        _ "$page" "$p" "$dest$p/share/lkstub/gdb/arm64_pac_unwind.py"
    check "$tag every option of --help is in the man page, and only those" \
        "$here/man_options.sh" "$bin" "$page"
    check "$tag make uninstall" \
        "$make_cmd" -C "$root" --no-print-directory -s O="$O" "${args[@]}" \
        DESTDIR="$dest" uninstall
    check "$tag nothing left but empty standard directories" \
        bash -c '[ -z "$(find "$1" \( -type f -o -type l \))" ] &&
                 ! [ -e "$1$2/share/lkstub" ]' _ "$dest" "$p"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
