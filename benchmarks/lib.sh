#!/usr/bin/env bash
# Shared by the benchmark scripts (source it): stopping the server under test, and the median of a run's figures.

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
