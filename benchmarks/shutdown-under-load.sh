#!/usr/bin/env bash
# Shutdown under load (issue 8): benchmarks/ShutdownUnderLoad with SESSIONS streaming WebSocket sessions, then the host
# is stopped mid-traffic; prints what the clients saw and how long the stop took (see Program.cs), exit code 0 on PASS.
# Settings (environment): SESSIONS (5000), GRACE_S (10), TIMEOUT_S (20), INTERVAL_MS (1000), BURST (3), WARM (3),
# NO_ANSWER (empty; 1: clients never answer the Close, so the grace period runs out and the rest are aborted).
# Each session costs two descriptors in this one process (server and client end): the script raises `ulimit -n`.
set -euo pipefail
cd "$(dirname "$0")/.."

SESSIONS=${SESSIONS:-5000}
need=$((SESSIONS * 2 + 1024))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  if [ "$(ulimit -n)" -lt "$need" ]; then
    echo "shutdown-under-load.sh: ulimit -n is $(ulimit -n), $need needed for $SESSIONS sessions (raise the hard limit)" >&2
    exit 1
  fi
fi

echo "== build (Release)"
dotnet build -c Release -v quiet -nologo benchmarks/ShutdownUnderLoad/ShutdownUnderLoad.csproj >/dev/null

args=(--sessions "$SESSIONS" --grace-s "${GRACE_S:-10}" --timeout-s "${TIMEOUT_S:-20}" --interval-ms "${INTERVAL_MS:-1000}"
      --burst "${BURST:-3}" --warm "${WARM:-3}")
[ -n "${NO_ANSWER:-}" ] && args+=(--no-answer)
echo "== run (ulimit -n $(ulimit -n), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s.%N)
set +e
dotnet benchmarks/ShutdownUnderLoad/bin/Release/net10.0/ShutdownUnderLoad.dll "${args[@]}"
code=$?
set -e
echo "process ran $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s in all, exit code $code"
exit $code
