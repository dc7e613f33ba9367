#!/usr/bin/env bash
# HTTP plaintext benchmark (issue 4): wrk against Rx.WebSockets' HttpServer (benchmarks/RxPlaintext) and against a
# minimal Kestrel app (benchmarks/KestrelPeer), both answering GET /plaintext with "Hello, World!" (text/plain).
#
# Each measurement starts a fresh server process pinned to one core (taskset -c $SERVER_CPU), warms it up with a
# short wrk run, then measures with wrk pinned to another core (taskset -c $WRK_CPU):
#   wrk -t1 -c64 -d10s --latency URL                                  (no pipelining)
#   wrk -t1 -c64 -d10s --latency -s wrk/pipeline.lua URL -- 16        (16 pipelined GETs per batch)
# Servers and modes are interleaved (run 1: Kestrel, ours; run 2: Kestrel, ours; ...) so that a change in the
# machine's load hits both alike. Prints the median Requests/sec of each, with min-max, and the ratio ours/Kestrel,
# and the server's CPU time per request (user + system time of the server process during the measured run, divided
# by the requests wrk completed): on a machine shared with other work, requests/sec follows the CPU share the server
# gets, while CPU time per request is what the server itself costs.
#
# Settings (environment): RUNS (3), DURATION (10s), WARMUP (3s), CONNECTIONS (64), DEPTH (16),
# SERVER_CPU (0), WRK_CPU (1), KESTREL_PORT (18080), RX_PORT (18081). Raw wrk output is kept in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNECTIONS=${CONNECTIONS:-64}
DEPTH=${DEPTH:-16}
SERVER_CPU=${SERVER_CPU:-0}
WRK_CPU=${WRK_CPU:-1}
KESTREL_PORT=${KESTREL_PORT:-18080}
RX_PORT=${RX_PORT:-18081}

source benchmarks/lib.sh  # the scripts run from the repository root (cd above)

require_tools "wrk and curl: run scripts/install-test-deps.sh; taskset: util-linux" wrk taskset curl dotnet

echo "== build (Release)"
dotnet build -c Release -v quiet -nologo benchmarks/KestrelPeer/KestrelPeer.csproj >/dev/null
dotnet build -c Release -v quiet -nologo benchmarks/RxPlaintext/RxPlaintext.csproj >/dev/null

logs=$(mktemp -d -t plaintext-XXXXXX)

# start_server NAME: starts the server pinned to SERVER_CPU and waits until it answers; sets url.
start_server() {
  local name=$1 dll port
  case "$name" in
    kestrel) dll=benchmarks/KestrelPeer/bin/Release/net10.0/KestrelPeer.dll; port=$KESTREL_PORT ;;
    ours) dll=benchmarks/RxPlaintext/bin/Release/net10.0/RxPlaintext.dll; port=$RX_PORT ;;
  esac
  url="http://127.0.0.1:$port/plaintext"
  launch_server "$name" "$url" dotnet "$dll" "$port"
}

# run_wrk MODE DURATION OUTFILE: plain or pipelined.
run_wrk() {
  local mode=$1 duration=$2 out=$3
  local args=(-t1 "-c$CONNECTIONS" "-d$duration" --latency)
  if [ "$mode" = pipelined ]; then
    args+=(-s benchmarks/wrk/pipeline.lua "$url" -- "$DEPTH")
  else
    args+=("$url")
  fi
  taskset -c "$WRK_CPU" wrk "${args[@]}" >"$out" 2>&1
}

# cpu_ticks PID: user + system time of the process, in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# requests_per_second FILE: wrk's "Requests/sec:" figure; fails the run on socket errors or non-2xx responses.
requests_per_second() {
  local file=$1
  if grep -qE 'Socket errors|Non-2xx' "$file"; then
    echo "plaintext.sh: errors in $file:" >&2
    cat "$file" >&2
    exit 1
  fi
  awk '/^Requests\/sec:/ { print $2 }' "$file"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== uptime before: $(uptime)"
declare -A results cpu
for run in $(seq "$RUNS"); do
  for mode in plain pipelined; do
    for name in kestrel ours; do
      start_server "$name"
      run_wrk "$mode" "$WARMUP" "$logs/$name.$mode.$run.warmup.txt"
      out="$logs/$name.$mode.$run.txt"
      ticks_before=$(cpu_ticks "$server_pid")
      run_wrk "$mode" "$DURATION" "$out"
      ticks_after=$(cpu_ticks "$server_pid")
      stop_server
      rps=$(requests_per_second "$out")
      requests=$(awk '/requests in/ { print $1 }' "$out")
      cpu_us=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
      results[$name.$mode]="${results[$name.$mode]:-} $rps"
      cpu[$name.$mode]="${cpu[$name.$mode]:-} $cpu_us"
      # With pipeline.lua wrk sends a batch as one request; its latency percentiles are not per request (it printed 0 us).
      p99=$([ "$mode" = plain ] && awk '$1 == "99%" { print $2 }' "$out" || echo "n/a")
      printf '   run %d %-9s %-7s %12s req/s   %6s us CPU/request   p99 %s\n' "$run" "$mode" "$name" "$rps" "$cpu_us" "$p99"
    done
  done
done
echo "== uptime after:  $(uptime)"

echo
echo "wrk -t1 -c$CONNECTIONS -d$DURATION, $RUNS runs each, server on CPU $SERVER_CPU, wrk on CPU $WRK_CPU; median (min-max)"
echo
printf '| %-20s | %-24s | %-24s | %-7s | %-17s | %-17s | %-7s |\n' "Scenario" "Kestrel req/s" "Rx.WebSockets req/s" "ratio" \
  "Kestrel CPU us/req" "ours CPU us/req" "ratio"
printf '| %-20s | %-24s | %-24s | %-7s | %-17s | %-17s | %-7s |\n' "---" "---:" "---:" "---:" "---:" "---:" "---:"
for mode in plain pipelined; do
  read -r km kmin kmax < <(stats "${results[kestrel.$mode]}")
  read -r om omin omax < <(stats "${results[ours.$mode]}")
  read -r kc kcmin kcmax < <(stats "${cpu[kestrel.$mode]}")
  read -r oc ocmin ocmax < <(stats "${cpu[ours.$mode]}")
  label=$([ "$mode" = plain ] && echo "no pipelining" || echo "pipelined, depth $DEPTH")
  printf '| %-20s | %-24s | %-24s | %-7s | %-17s | %-17s | %-7s |\n' "$label" \
    "$(printf '%.0f (%.0f-%.0f)' "$km" "$kmin" "$kmax")" "$(printf '%.0f (%.0f-%.0f)' "$om" "$omin" "$omax")" \
    "$(awk -v o="$om" -v k="$km" 'BEGIN { printf "%.2f", o / k }')" \
    "$kc ($kcmin-$kcmax)" "$oc ($ocmin-$ocmax)" "$(awk -v o="$oc" -v k="$kc" 'BEGIN { printf "%.2f", o / k }')"
done
echo
echo "ratio: ours / Kestrel (requests/sec: higher is better for us; CPU per request: lower is better for us)"
echo "raw wrk output: $logs"
