#!/usr/bin/env bash
# Usage: fuzz/run.sh TARGET|all MINUTES
# Runs afl-fuzz (AFL++ with SharpFuzz) on each target for MINUTES, starting from fuzz/corpus/<target>/, then folds
# the inputs that reached new coverage back into that folder (minimized with afl-cmin) and copies crashes and hangs
# there as crash-*/hang-* files. Prints and appends the run's figures to fuzz/.work/results.tsv.
# Two targets may run at once (two invocations); each publishes its own instrumented copy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 2 ] || fail "usage: fuzz/run.sh TARGET|all MINUTES   (targets: $ALL_TARGETS)"
targets="$1"
[ "$targets" = all ] && targets="$ALL_TARGETS"
minutes="$2"
[[ "$minutes" =~ ^[0-9]+$ ]] && [ "$minutes" -gt 0 ] || fail "MINUTES must be a positive integer"
for t in $targets; do
    [[ " $ALL_TARGETS " == *" $t "* ]] || fail "unknown target '$t' (targets: $ALL_TARGETS)"
done

ensure_afl
out="$WORK_DIR/out-$$"
publish_instrumented "$out"
# afl-cmin needs the program as a path, not a name looked up on PATH.
harness=("$(readlink -f "$(command -v dotnet)")" "$out/Rx.WebSockets.Fuzz.dll")

for t in $targets; do
    corpus="$FUZZ_DIR/corpus/$t"
    findings="$WORK_DIR/findings-$t-$$"
    rm -rf "$findings"
    echo "fuzz: $t for $minutes min -> $findings"
    afl-fuzz -i "$corpus" -o "$findings" -t 5000 -m none -V $((minutes * 60)) -- "${harness[@]}" "$t" </dev/null \
        >"$findings.log" 2>&1 || { tail -n 30 "$findings.log" >&2; fail "afl-fuzz failed on $t (see $findings.log)"; }

    crashes=$(find "$findings/default/crashes" -name 'id:*' 2>/dev/null | wc -l || true)
    hangs=$(find "$findings/default/hangs" -name 'id:*' 2>/dev/null | wc -l || true)
    for f in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
        [ -e "$f" ] || continue
        kind=crash; [[ "$f" == */hangs/* ]] && kind=hang
        cp "$f" "$corpus/$kind-$(sha1sum "$f" | cut -c1-12)"
    done

    # Minimize old and new inputs together; seed-*, crash-* and hang-* files always stay.
    all="$WORK_DIR/cmin-in-$t-$$"
    min="$WORK_DIR/cmin-out-$t-$$"
    rm -rf "$all" "$min"
    mkdir -p "$all"
    cp "$findings"/default/queue/id:* "$all/" 2>/dev/null || true
    cp "$corpus"/q-* "$all/" 2>/dev/null || true
    if AFL_SKIP_BIN_CHECK=1 afl-cmin -i "$all" -o "$min" -t 5000 -m none -- "${harness[@]}" "$t" >"$findings.cmin.log" 2>&1; then
        rm -f "$corpus"/q-*
        kept=$(for f in "$corpus"/*; do sha1sum <"$f"; done)
        for f in "$min"/*; do
            [ -e "$f" ] || continue
            # Keep the corpus small: afl-cmin keeps the smallest input per edge, and the few that need kilobytes
            # (long-input paths) are not worth carrying in git.
            [ "$(stat -c %s "$f")" -le 4096 ] || continue
            sum=$(sha1sum <"$f")
            # Inputs equal to a seed or a saved finding are already there.
            [[ "$kept" == *"$sum"* ]] || cp "$f" "$corpus/q-${sum:0:12}"
        done
    else
        echo "fuzz: afl-cmin failed on $t (see $findings.cmin.log); corpus left unchanged" >&2
    fi
    rm -rf "$all" "$min"

    line="$t	$(stat_of "$findings" run_time)	$(stat_of "$findings" execs_done)	$(stat_of "$findings" execs_per_sec)	$(stat_of "$findings" corpus_count)	$(ls "$corpus" | wc -l)	$(stat_of "$findings" bitmap_cvg)	$(stat_of "$findings" edges_found)	$(stat_of "$findings" stability)	$crashes	$hangs"
    echo "target	run_time_s	execs	execs_per_s	queue	corpus_files	bitmap_cvg	edges	stability	crashes	hangs"
    echo "$line"
    echo "$line" >>"$WORK_DIR/results.tsv"
done
rm -rf "$out"
