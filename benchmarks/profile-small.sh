#!/usr/bin/env bash
# CPU profile of our server (RxEchoPeer) under LoadGen's `small` scenario: `perf record -g` on the server process with
# the JIT's perf map on (DOTNET_PerfMapEnabled=1, DOTNET_EnableWriteXorExecute=0 so that perf can read it) and ReadyToRun off (DOTNET_ReadyToRun=0) so that framework code is
# named too. Prints the top symbols by self time. Needs perf (linux-perf) and a run.sh build (benchmarks/run.sh builds
# the peers). Settings: SECONDS_PROFILED (8), SERVER_CPU (0), CLIENT_CPU (1), PORT (19990).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PROFILED=${SECONDS_PROFILED:-8}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-19990}
out=$(mktemp -d -t rxws-profile-XXXXXX)
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0 taskset -c "$SERVER_CPU" \
  dotnet benchmarks/RxEchoPeer/bin/Release/net10.0/RxEchoPeer.dll "$PORT" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 300); do grep -q listening "$out/server.log" && break; sleep 0.1; done
taskset -c "$CLIENT_CPU" dotnet benchmarks/LoadGen/bin/Release/net10.0/LoadGen.dll small --port "$PORT" --peer ours \
  --server-pid "$server" --warmup 3 --duration $((SECONDS_PROFILED + 2)) --out "$out/small.json" >/dev/null &
client=$!
sleep 4
perf record -F 999 -g -p "$server" -o "$out/perf.data" -- sleep "$SECONDS_PROFILED" 2>/dev/null
wait $client || true
perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -60
echo "perf data: $out/perf.data; LoadGen result: $out/small.json"
