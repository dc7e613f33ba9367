#!/usr/bin/env bash
# Runs every test of Rx.WebSockets on a fresh machine that has only the .NET SDK.
# It installs what the tests need first (interop peers and tools, see scripts/install-test-deps.sh),
# then runs the whole solution's tests and prints one closing line: "Tests: N passed, N failed, N skipped",
# then fuzzes every parser briefly under AFL++ from the committed corpora (fuzz/ci.sh, ~2 min; FUZZ_CI_SECONDS).
# It exits non-zero on any failure, and also when any test was skipped: nothing is skipped silently.
set -euo pipefail
cd "$(dirname "$0")"

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi

results=$(mktemp -d)
set +e
dotnet test Rx.WebSockets.sln -c Release --results-directory "$results" \
  --logger "console;verbosity=minimal" --logger "trx" "$@"
status=$?
set -e

# Sum the TRX counters of every test assembly (<Counters total=.. passed=.. failed=.. notExecuted=..>).
read -r passed failed skipped < <(cat "$results"/*.trx 2>/dev/null | grep -oE '<Counters [^>]*' | awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
  END { printf "%d %d %d\n", c["passed"], c["failed"] + c["error"] + c["timeout"] + c["aborted"], c["notExecuted"] }')
rm -rf "$results"

# Coverage-guided smoke fuzzing of every parser (issue 8); any crash, hang or inability to run fails the job.
fuzz_status=0
fuzz/ci.sh || fuzz_status=$?

echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"

if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  echo "test.sh: tests failed (dotnet test exit code $status)" >&2
  exit 1
fi
if [ "$fuzz_status" -ne 0 ]; then
  echo "test.sh: fuzz/ci.sh failed (exit code $fuzz_status)" >&2
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
if [ "$skipped" -ne 0 ]; then
  echo "test.sh: $skipped test(s) were skipped; CI runs everything" >&2
  exit 1
fi
