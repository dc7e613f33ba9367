#!/usr/bin/env bash
# CI smoke fuzzing: every target for FUZZ_CI_SECONDS (default 20) under afl-fuzz, starting from the committed
# corpus, with a fixed seed. Fails on any crash or hang, and when it cannot run at all (it never skips).
# Needs the .NET SDK; installs afl++ with apt-get when missing (as root) and SharpFuzz.CommandLine from
# fuzz/dotnet-tools.json. Runs two targets at a time on machines with two or more cores.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

seconds="${FUZZ_CI_SECONDS:-20}"
jobs=$(( $(nproc) >= 2 ? 2 : 1 ))
start=$SECONDS

ensure_afl
run_dir="$WORK_DIR/ci"
rm -rf "$run_dir"
mkdir -p "$run_dir"
out="$run_dir/out"
publish_instrumented "$out"

run_target() {
    local t="$1" findings="$run_dir/findings-$1"
    if ! afl-fuzz -i "$FUZZ_DIR/corpus/$t" -o "$findings" -s 1 -t 5000 -m none -V "$seconds" \
        -- dotnet "$out/Rx.WebSockets.Fuzz.dll" "$t" </dev/null >"$findings.log" 2>&1; then
        echo "FAIL $t: afl-fuzz could not run (a committed input crashes, or the environment is unusable); last lines of $findings.log:"
        tail -n 15 "$findings.log" | sed 's/\x1b\[[0-9;]*m//g'
        return 1
    fi
    local execs crashes hangs
    execs=$(stat_of "$findings" execs_done)
    crashes=$(find "$findings/default/crashes" -name 'id:*' 2>/dev/null | wc -l || true)
    hangs=$(find "$findings/default/hangs" -name 'id:*' 2>/dev/null | wc -l || true)
    if [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
        echo "FAIL $t: afl-fuzz ran no input (see $findings.log)"
        return 1
    fi
    if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
        echo "FAIL $t: $crashes crash(es), $hangs hang(s) in $execs execs; inputs in $findings/default/{crashes,hangs}/"
        echo "     replay one with: dotnet $out/Rx.WebSockets.Fuzz.dll $t FILE"
        return 1
    fi
    echo "ok   $t: $execs execs, $(stat_of "$findings" execs_per_sec) exec/s, edges $(stat_of "$findings" edges_found), no crash or hang"
}

status=0
pids=()
names=()
for t in $ALL_TARGETS; do
    run_target "$t" >"$run_dir/result-$t" 2>&1 &
    pids+=($!)
    names+=("$t")
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || status=1
        cat "$run_dir/result-${names[0]}"
        pids=("${pids[@]:1}")
        names=("${names[@]:1}")
    fi
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$run_dir/result-${names[$i]}"
done

echo "fuzz/ci.sh: $((SECONDS - start)) s in total"
if [ "$status" -ne 0 ]; then
    fail "smoke fuzzing found a problem (see FAIL lines above)"
fi
echo "fuzz/ci.sh: all targets passed"
