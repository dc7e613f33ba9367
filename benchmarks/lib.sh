#!/usr/bin/env bash
# Shared by the benchmark scripts (source it): checking for tools, starting and stopping the server under test, and the
# median of a run's figures.

# stop_server: stops the process in $server_pid (TERM, then KILL after 5 s) and clears it. Installed as the EXIT trap,
# so a benchmark interrupted mid-run leaves no server behind.
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

# stats "v1 v2 ...": median min max.
stats() {
  tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '
    { v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s\n", m, v[1], v[NR] }'
}

# require_tools HINT TOOL...: exits with a message naming the first TOOL that is not on PATH, and HINT (where to get it).
require_tools() {
  local hint=$1 tool
  shift
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$(basename "$0"): $tool is missing ($hint)" >&2
      exit 1
    fi
  done
}

# launch_server NAME URL COMMAND...: starts COMMAND pinned to SERVER_CPU (output in $logs/NAME.server.log), sets
# server_pid, and waits until URL answers HTTP (any status); exits with the server's output if it never does.
launch_server() {
  local name=$1 url=$2
  shift 2
  taskset -c "$SERVER_CPU" "$@" >"$logs/$name.server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if curl -s -o /dev/null --max-time 1 "$url"; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$(basename "$0"): $name did not answer on $url; its output:" >&2
  cat "$logs/$name.server.log" >&2
  exit 1
}
