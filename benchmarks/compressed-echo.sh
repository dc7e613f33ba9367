#!/usr/bin/env bash
# Compressed echo benchmark (issue 7): 16 KiB JSON-like text messages echoed with permessage-deflate, by
# Rx.WebSockets (benchmarks/CompressedEcho, "server" role: HttpServer + a default session, Run(frames => frames)) and
# by Kestrel + ASP.NET Core's WebSocket middleware + ManagedWebSocket (benchmarks/KestrelPeer, /echo-deflate), both at
# zlib level 6 with context takeover on the server side.
#
# The driver (benchmarks/CompressedEcho, "client" role) opens CONNECTIONS connections offering
# "permessage-deflate; client_no_context_takeover", each with one message in flight, cycling 64 distinct messages that
# it compressed and masked once up front. During the warm-up it inflates and checks every echo; in the measured period
# it only parses the echoed frames. It prints messages/s, the compression ratio of each direction (compressed payload
# bytes / payload bytes) and its own CPU time per message.
#
# Each measurement starts a fresh server process pinned to one core (taskset -c $SERVER_CPU) and runs the driver pinned
# to another (taskset -c $CLIENT_CPU). Servers are interleaved (run 1: Kestrel, ours; run 2: Kestrel, ours; ...) so
# that a change in the machine's load hits both alike. Prints the median of each figure with min-max, the ratio
# ours/Kestrel, and the server's CPU time per message (user + system time of the server process during the measured
# period / messages): on a shared machine messages/s follows the CPU share the server gets, CPU per message is what
# the server itself costs.
#
# Settings (environment): RUNS (3), MEASURE (10, seconds), WARMUP (3, seconds), CONNECTIONS (16), SERVER_CPU (0),
# CLIENT_CPU (1), KESTREL_PORT (18090), RX_PORT (18091). Server logs and driver output are kept in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
MEASURE=${MEASURE:-10}
WARMUP=${WARMUP:-3}
CONNECTIONS=${CONNECTIONS:-16}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
KESTREL_PORT=${KESTREL_PORT:-18090}
RX_PORT=${RX_PORT:-18091}

source benchmarks/lib.sh  # the scripts run from the repository root (cd above)

require_tools "curl: run scripts/install-test-deps.sh; taskset: util-linux" taskset curl dotnet

echo "== build (Release)"
dotnet build -c Release -v quiet -nologo benchmarks/KestrelPeer/KestrelPeer.csproj >/dev/null
dotnet build -c Release -v quiet -nologo benchmarks/CompressedEcho/CompressedEcho.csproj >/dev/null
echo_dll=benchmarks/CompressedEcho/bin/Release/net10.0/CompressedEcho.dll

logs=$(mktemp -d -t compressed-echo-XXXXXX)

# start_server NAME: starts the server pinned to SERVER_CPU and waits until it answers HTTP (any status); sets port.
start_server() {
  local name=$1
  case "$name" in
    kestrel) port=$KESTREL_PORT; launch_server "$name" "http://127.0.0.1:$port/" dotnet benchmarks/KestrelPeer/bin/Release/net10.0/KestrelPeer.dll "$port" ;;
    ours) port=$RX_PORT; launch_server "$name" "http://127.0.0.1:$port/" dotnet "$echo_dll" server "$port" ;;
  esac
}

# cpu_ticks PID: user + system time of the process, in clock ticks.
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# wait_for_line LINE FILE PID: waits until FILE has LINE, or PID has exited.
wait_for_line() {
  until grep -qx "$1" "$2"; do
    kill -0 "$3" 2>/dev/null || return 0
    sleep 0.05
  done
}

# field NAME FILE: the value of NAME=value in the driver's output line.
field() {
  grep -o "$1=[^ ]*" "$2" | head -n1 | cut -d= -f2 | tr -d '"'
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== uptime before: $(uptime)"
declare -A rate ratio cpu client share
for run in $(seq "$RUNS"); do
  for name in kestrel ours; do
    start_server "$name"
    out="$logs/$name.$run.txt"
    # The server's CPU time is read around the measured period only, when the driver prints its markers.
    taskset -c "$CLIENT_CPU" dotnet "$echo_dll" client "$port" /echo-deflate "$CONNECTIONS" "$WARMUP" "$MEASURE" >"$out" 2>&1 &
    driver_pid=$!
    wait_for_line measure-start "$out" "$driver_pid"
    ticks_before=$(cpu_ticks "$server_pid")
    wait_for_line measure-end "$out" "$driver_pid"
    ticks_after=$(cpu_ticks "$server_pid")
    if ! wait "$driver_pid"; then
      echo "compressed-echo.sh: the driver failed against $name:" >&2
      cat "$out" >&2
      exit 1
    fi
    stop_server
    messages=$(field messages "$out")
    msgs=$(field msgs_per_s "$out")
    from=$(field ratio_from_server "$out")
    cpu_us=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v n="$messages" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    client_us=$(field client_cpu_us_per_msg "$out")
    # The share of its core the driver used: far below 100% means the driver is not what limits messages/s.
    client_share=$(awk -v c="$client_us" -v r="$msgs" 'BEGIN { printf "%.1f", c * r / 1e4 }')
    share[$name]="${share[$name]:-} $client_share"
    rate[$name]="${rate[$name]:-} $msgs"
    ratio[$name]="${ratio[$name]:-} $from"
    cpu[$name]="${cpu[$name]:-} $cpu_us"
    client[$name]="${client[$name]:-} $client_us"
    printf '   run %d %-7s %9s msgs/s   ratio %s (to server %s)   server %6s us CPU/msg   driver %6s us CPU/msg (%s%% of its core)   %s\n' \
      "$run" "$name" "$msgs" "$from" "$(field ratio_to_server "$out")" "$cpu_us" "$client_us" "$client_share" "$(grep -o 'agreement=.*' "$out")"
  done
done
echo "== uptime after:  $(uptime)"

echo
echo "16 KiB JSON-like text, $CONNECTIONS connections x 1 in flight, ${MEASURE}s after ${WARMUP}s warm-up, $RUNS runs each;" \
  "server on CPU $SERVER_CPU, driver on CPU $CLIENT_CPU; median (min-max)"
echo
printf '| %-28s | %-24s | %-24s | %-7s |\n' "Figure" "Kestrel + ManagedWebSocket" "Rx.WebSockets" "ratio"
printf '| %-28s | %-24s | %-24s | %-7s |\n' "---" "---:" "---:" "---:"
row() {
  local label=$1 k=$2 o=$3 format=$4
  read -r km kmin kmax < <(stats "$k")
  read -r om omin omax < <(stats "$o")
  printf '| %-28s | %-24s | %-24s | %-7s |\n' "$label" \
    "$(printf "$format ($format-$format)" "$km" "$kmin" "$kmax")" "$(printf "$format ($format-$format)" "$om" "$omin" "$omax")" \
    "$(awk -v o="$om" -v k="$km" 'BEGIN { printf "%.2f", o / k }')"
}
row "messages/s" "${rate[kestrel]}" "${rate[ours]}" '%.0f'
row "ratio, server to client" "${ratio[kestrel]}" "${ratio[ours]}" '%.4f'
row "server CPU us/message" "${cpu[kestrel]}" "${cpu[ours]}" '%.1f'
row "driver CPU us/message" "${client[kestrel]}" "${client[ours]}" '%.1f'
row "driver core use, %" "${share[kestrel]}" "${share[ours]}" '%.1f'
echo
echo "ratio column: ours / Kestrel (messages/s: higher is better for us; compression ratio and CPU: lower is better)"
echo "driver output and server logs: $logs"
