#!/bin/bash
# Runs the libFuzzer targets built by `make fuzz-build`.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#
# For each target: first every file of tests/fuzz/regressions/TARGET/ and
# tests/fuzz/corpus/TARGET/ is run once (a crash, leak or failed check
# fails the run); then, when SECONDS > 0, the target fuzzes for SECONDS
# from those seeds and from BUILD_DIR/corpus/TARGET (new inputs are kept
# there, never in the source tree). A crash leaves its input in
# BUILD_DIR/artifacts/TARGET/: once the bug is fixed, copy it to
# tests/fuzz/regressions/TARGET/ so every `make check` replays it.
#
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS=-jobs=2).
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SECONDS TARGET..." >&2; exit 2; }
build=$1 secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
failed=0 replayed=0
for t in "$@"; do
    bin=$build/$t
    files=()
    for d in "$src/regressions/$t" "$src/corpus/$t"; do
        [ -d "$d" ] || continue
        while IFS= read -r -d '' f; do files+=("$f"); done \
            < <(find "$d" -type f ! -name 'README*' -print0 | sort -z)
    done
    log=$build/logs/$t.log
    mkdir -p "$build/logs" "$build/corpus/$t" "$build/artifacts/$t"
    if [ ${#files[@]} -gt 0 ]; then
        if ! "$bin" -rss_limit_mb=2048 "${files[@]}" >"$log.replay" 2>&1; then
            echo "FAIL $t: a regression or seed input fails (see $log.replay)"
            tail -n 30 "$log.replay"
            failed=$((failed + 1))
            continue
        fi
        replayed=$((replayed + ${#files[@]}))
    fi
    [ "$secs" -gt 0 ] || { echo "ok   $t: ${#files[@]} inputs replayed"; continue; }
    dirs=("$build/corpus/$t")
    [ -d "$src/corpus/$t" ] && dirs+=("$src/corpus/$t")
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
        ${FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1
    rc=$?
    stats=$(grep -a -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
    if [ $rc -ne 0 ]; then
        echo "FAIL $t: crash after ${execs:-?} runs (see $log; input in $build/artifacts/$t/)"
        grep -a -E 'ERROR|SUMMARY|check failed|runtime error' "$log" | head -n 5
        failed=$((failed + 1))
    else
        echo "ok   $t: ${#files[@]} inputs replayed; ${secs}s: ${execs:-?} runs, ${speed:-?} exec/s, cov ${cov:-?} ft ${ft:-?}"
    fi
done
echo "fuzz: $# targets, $replayed inputs replayed, $failed failed"
[ $failed -eq 0 ]
