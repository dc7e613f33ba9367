#!/usr/bin/env bash
# Side-by-side load benchmark (issue 6) and soak (issue 8). One command:
#
#   benchmarks/run.sh [scenario...]        scenarios: small medium large hold plaintext soak
#                                          (default: small medium large hold plaintext; soak only when named)
#
# Peers, each built (Release) and started by this script: kestrel (benchmarks/KestrelPeer, UseWebSockets echo),
# ours (benchmarks/RxEchoPeer, the embedded engine with default WebSocket options: pinger every 20 s), node
# (benchmarks/peers/node-ws, ws + native bufferutil, versions pinned by package-lock.json) and raw (benchmarks/RawEchoPeer,
# a raw TCP echo: LoadGen sends it the same masked frames without a handshake and parses the echoed bytes as frames).
# The load generator is benchmarks/LoadGen. `plaintext` runs benchmarks/plaintext.sh (wrk, Kestrel and ours) and
# converts its per-run lines.
#
# Fairness: every measurement starts a fresh server process pinned to SERVER_CPU (taskset), LoadGen runs pinned to
# CLIENT_CPU, and runs are interleaved: run 1 of every scenario for every peer, then run 2, ... Each figure is the
# median of RUNS runs with min-max; ratios to Kestrel are taken run by run (peer run i / Kestrel run i) and then the
# median. Server CPU time per message comes from /proc/PID/stat (utime + stime) during the measured window.
#
# Output: benchmarks/results/DATE.json (every figure), DATE.md (the tables), DATE.png (the ratio chart), and the raw
# per-run JSON files in benchmarks/results/DATE/. `soak` writes benchmarks/results/soak-DATE.json and soak-DATE.md.
#
# Settings (environment): RUNS (3), DURATION (10, seconds measured), WARMUP (3), HOLD_COUNT (10000), HOLD_SECONDS (20),
# SOAK_COUNT (10000), SOAK_MINUTES (30), SOAK_PING (1, the server's ping interval in seconds), SOAK_EVERY (10, seconds
# between messages of one session), PEERS ("kestrel ours node raw"), SERVER_CPU (0), CLIENT_CPU (1), BASE_PORT (19000),
# NAME (the UTC date: names the output, results/NAME.*; give another name to keep an earlier run of the same day).
# Wall time with the defaults: about 4 min per run of small+medium+large (4 peers x 3 scenarios x ~15 s), 2-6 min per
# run of hold (10,000 handshakes per peer; longer on a loaded machine), 1.5 min per run of plaintext: about 25-35 min
# for RUNS=3. The soak takes SOAK_MINUTES plus the time to connect.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
HOLD_COUNT=${HOLD_COUNT:-10000}
HOLD_SECONDS=${HOLD_SECONDS:-20}
SOAK_COUNT=${SOAK_COUNT:-10000}
SOAK_MINUTES=${SOAK_MINUTES:-30}
SOAK_PING=${SOAK_PING:-1}
SOAK_EVERY=${SOAK_EVERY:-10}
PEERS=${PEERS:-kestrel ours node raw}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BASE_PORT=${BASE_PORT:-19000}

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=(small medium large hold plaintext)
fi

B=benchmarks
date=${NAME:-$(date -u +%F)}
out_dir=$B/results/$date
log_dir=$(mktemp -d -t rxws-bench-XXXXXX)

# --- tools, installed when missing (CI and fresh machines run as root with apt) ---------------------------------------
need_apt=()
command -v taskset >/dev/null 2>&1 || need_apt+=(util-linux)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if [[ " ${scenarios[*]} " == *" plaintext "* ]] && ! command -v wrk >/dev/null 2>&1; then need_apt+=(wrk); fi
if [[ " $PEERS " == *" node "* ]] && ! command -v npm >/dev/null 2>&1; then need_apt+=(nodejs npm); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [[ " $PEERS " == *" node "* ]] && [ ! -d $B/peers/node-ws/node_modules/ws ]; then
  echo "== npm ci (benchmarks/peers/node-ws)"
  (cd $B/peers/node-ws && npm ci --no-audit --no-fund >/dev/null)
fi

# 10,000 connections need 10,000 descriptors in LoadGen and in the server.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== build (Release)"
for project in KestrelPeer RxEchoPeer RawEchoPeer LoadGen Chart; do
  dotnet build -c Release -v quiet -nologo $B/$project/$project.csproj >"$log_dir/build.$project.log" 2>&1 ||
    { cat "$log_dir/build.$project.log" >&2; exit 1; }
done
loadgen=(dotnet $B/LoadGen/bin/Release/net10.0/LoadGen.dll)
export LOADGEN_CLK_TCK=$(getconf CLK_TCK)

port=$BASE_PORT
source benchmarks/lib.sh  # the scripts run from the repository root (cd above)

# start_server PEER [PING_SECONDS]: a fresh process on a fresh port, pinned to SERVER_CPU; waits until it accepts.
start_server() {
  local peer=$1 ping=${2:-}
  port=$((port + 1))
  local cmd
  case "$peer" in
    kestrel) cmd=(dotnet $B/KestrelPeer/bin/Release/net10.0/KestrelPeer.dll "$port") ;;
    ours) cmd=(dotnet $B/RxEchoPeer/bin/Release/net10.0/RxEchoPeer.dll "$port" $ping) ;;
    node) cmd=(node $B/peers/node-ws/server.js "$port") ;;
    raw) cmd=(dotnet $B/RawEchoPeer/bin/Release/net10.0/RawEchoPeer.dll "$port") ;;
    *) echo "run.sh: unknown peer $peer" >&2; exit 1 ;;
  esac
  taskset -c "$SERVER_CPU" "${cmd[@]}" >"$log_dir/$peer.$port.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    if grep -q "listening" "$log_dir/$peer.$port.log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "run.sh: $peer did not start on port $port; its output:" >&2
  cat "$log_dir/$peer.$port.log" >&2
  exit 1
}

# measure SCENARIO PEER RUN
measure() {
  local scenario=$1 peer=$2 run=$3 args=()
  start_server "$peer"
  [ "$peer" = raw ] && args+=(--raw)
  case "$scenario" in
    small|medium|large) args+=(--warmup "$WARMUP" --duration "$DURATION") ;;
    hold) args+=(--count "$HOLD_COUNT" --hold "$HOLD_SECONDS") ;;
  esac
  local file=$out_dir/$scenario.$peer.$run.json
  if ! taskset -c "$CLIENT_CPU" "${loadgen[@]}" "$scenario" --port "$port" --peer "$peer" --server-pid "$server_pid" \
      --out "$file" "${args[@]}" >"$log_dir/$scenario.$peer.$run.out" 2>&1; then
    echo "   ($scenario $peer run $run reported a failure: see $file / $log_dir/$scenario.$peer.$run.out)"
  fi
  stop_server
  if [ -f "$file" ] && command -v python3 >/dev/null 2>&1; then
    python3 - "$file" "$run" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
keys = ["msgPerSec", "mbPerSec", "rttP50Us", "rttP99Us", "serverCpuUsPerMsg", "kibPerConnection", "connectSeconds", "ok"]
print("   run %s %-7s %-8s " % (sys.argv[2], r["scenario"], r["peer"]) + "  ".join("%s=%s" % (k, r[k]) for k in keys if k in r))
EOF
  fi
}

mkdir -p "$out_dir"
ws_scenarios=()
for s in "${scenarios[@]}"; do
  case "$s" in small|medium|large|hold) ws_scenarios+=("$s") ;; esac
done

if [ ${#ws_scenarios[@]} -gt 0 ] || [[ " ${scenarios[*]} " == *" plaintext "* ]]; then
  cat >"$out_dir/meta.json" <<EOF
{
  "date": "$date",
  "started": "$(date -u +%FT%TZ)",
  "command": "RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP HOLD_COUNT=$HOLD_COUNT HOLD_SECONDS=$HOLD_SECONDS benchmarks/run.sh ${scenarios[*]}",
  "machine": "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r), .NET $(dotnet --version), node $(node --version 2>/dev/null || echo none)",
  "uptimeBefore": "$(uptime)"
}
EOF
  echo "== $(nproc) cores; uptime before: $(uptime)"
  for run in $(seq "$RUNS"); do
    for scenario in "${ws_scenarios[@]}"; do
      for peer in $PEERS; do
        measure "$scenario" "$peer" "$run"
      done
    done
  done

  if [[ " ${scenarios[*]} " == *" plaintext "* ]]; then
    echo "== plaintext (benchmarks/plaintext.sh, RUNS=$RUNS)"
    RUNS=$RUNS $B/plaintext.sh | tee "$log_dir/plaintext.txt"
    # plaintext.sh's per-run line: "   run 1 plain     kestrel     35832.10 req/s    27.81 us CPU/request   p99 4.3ms"
    awk -v dir="$out_dir" -v load="$(cat /proc/loadavg)" '$1 == "run" && $6 == "req/s" {
      scenario = ($3 == "plain") ? "plaintext" : "plaintext-pipelined"
      file = dir "/" scenario "." $4 "." $2 ".json"
      printf "{ \"scenario\": \"%s\", \"peer\": \"%s\", \"msgPerSec\": %s, \"serverCpuUsPerMsg\": %s, \"loadavgBefore\": \"%s\", \"ok\": true }\n", scenario, $4, $5, $7, load > file
      close(file)
    }' "$log_dir/plaintext.txt"
  fi

  sed -i "s|^}$|,  \"uptimeAfter\": \"$(uptime)\"\n}|" "$out_dir/meta.json"
  echo "== uptime after: $(uptime)"
  dotnet $B/Chart/bin/Release/net10.0/Chart.dll report "$out_dir" "$B/results/$date"
fi

if [[ " ${scenarios[*]} " == *" soak "* ]]; then
  echo "== soak: $SOAK_COUNT sessions, $SOAK_MINUTES min, server pinger every $SOAK_PING s; uptime $(uptime)"
  start_server ours "$SOAK_PING"
  taskset -c "$CLIENT_CPU" "${loadgen[@]}" soak --port "$port" --peer ours --server-pid "$server_pid" --count "$SOAK_COUNT" \
    --minutes "$SOAK_MINUTES" --every "$SOAK_EVERY" --ping-seconds "$SOAK_PING" --out "$B/results/soak-$date.json" \
    >"$log_dir/soak.out" || echo "   (the soak reported a failure: see $B/results/soak-$date.json)"
  stop_server
  dotnet $B/Chart/bin/Release/net10.0/Chart.dll soak "$B/results/soak-$date.json" "$B/results/soak-$date.md"
fi
echo "logs: $log_dir"
