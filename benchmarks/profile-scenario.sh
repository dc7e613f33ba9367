#!/usr/bin/env bash
# CPU profile of our server (RxEchoPeer) under one LoadGen throughput scenario (small, medium, large): `perf record -g`
# on the server process with the JIT's perf map on (DOTNET_PerfMapEnabled=1, DOTNET_EnableWriteXorExecute=0 so that perf
# can read it) and ReadyToRun off (DOTNET_ReadyToRun=0, so that framework code is named too); then the top symbols by
# self time, the server's GC counts (GET /stats) before and after, and its page faults during the profiled window.
# Needs perf (linux-perf) and a run.sh build (run.sh builds the peers). Usage: benchmarks/profile-scenario.sh [scenario]
# (default small).
# Settings: SECONDS_PROFILED (8), SERVER_CPU (0), CLIENT_CPU (1), PORT (19991), SERVER_ENV (extra VAR=value for the
# server, e.g. "DOTNET_GCgen0size=0x10000000").
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${1:-small}
SECONDS_PROFILED=${SECONDS_PROFILED:-8}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-19991}
out=$(mktemp -d -t rxws-profile-XXXXXX)
# shellcheck disable=SC2086
env ${SERVER_ENV:-} DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0 taskset -c "$SERVER_CPU" \
  dotnet benchmarks/RxEchoPeer/bin/Release/net10.0/RxEchoPeer.dll "$PORT" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q listening "$out/server.log" && break; sleep 0.1; done
taskset -c "$CLIENT_CPU" dotnet benchmarks/LoadGen/bin/Release/net10.0/LoadGen.dll "$SCENARIO" --port "$PORT" --peer ours \
  --server-pid "$server" --warmup 3 --duration $((SECONDS_PROFILED + 2)) --out "$out/$SCENARIO.json" >/dev/null &
client=$!
sleep 4
faults() { awk '{print $10, $12}' "/proc/$server/stat"; }   # minflt majflt
echo "stats before: $(curl -s "http://127.0.0.1:$PORT/stats")"
f0=$(faults)
perf record -F 999 -g -p "$server" -o "$out/perf.data" -- sleep "$SECONDS_PROFILED" 2>/dev/null
f1=$(faults)
echo "stats after:  $(curl -s "http://127.0.0.1:$PORT/stats")"
echo "page faults (minor major) before: $f0, after: $f1"
wait $client || true
perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -40 || true
python3 - "$out/$SCENARIO.json" <<'PY' || cat "$out/$SCENARIO.json"
import json, sys
r = json.load(open(sys.argv[1]))
print({k: r[k] for k in r if not isinstance(r[k], (dict, list))})
PY
echo "perf data: $out/perf.data; LoadGen result: $out/$SCENARIO.json"
