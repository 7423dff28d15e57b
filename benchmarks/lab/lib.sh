# Shared bash for the lab benchmarks (sourced, not run): logging, bounded waits, process and namespace clean-up,
# iperf3 runs. The sourcing script sets P (namespace prefix of its run) and WORK (its scratch directory).
# Lab rules: 198.18.0.0/15 lab links and 100.64.0.0/10 overlay addresses only; namespaces named gm<run>...

log() { printf '%s\n' "$*" >&2; }

# need_tools CMD:PACKAGE...: installs (apt) the Debian packages of the commands that are missing
need_tools() {
  local pair need=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
  done
  ((${#need[@]})) || return 0
  log "installing: ${need[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
}

# wait_for WHAT SECONDS CMD...: polls CMD every 0.2 s, fails after SECONDS
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "${0##*/}: timed out after ${secs}s waiting for $what"; return 1; }
    sleep 0.2
  done
}

# stop_pids PID...: TERM, up to 5 s grace each, then KILL
stop_pids() {
  local pid
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

# del_run_netns: kills what still runs in this run's namespaces ($P*) and deletes them
del_run_netns() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

# iperf_tcp SERVER_NS CLIENT_NS SERVER_IP SECONDS TAG [iperf3 client args...]: one bounded iperf3 TCP run from
# CLIENT_NS to an iperf3 server in SERVER_NS; prints the receiver's Mbit/s (or n/a). Port 5201 in SERVER_NS.
iperf_tcp() {
  local sns=$1 cns=$2 ip=$3 t=$4 tag=$5 s; shift 5
  ip netns exec "$sns" timeout $((t + 60)) iperf3 -s -1 -B "$ip" >"$WORK/iperf-s-$tag.log" 2>&1 &
  s=$!
  wait_for "iperf3 server $tag" 20 ip netns exec "$sns" bash -c "ss -Hltn | grep -q '$ip:5201 '"
  ip netns exec "$cns" timeout $((t + 30)) iperf3 -c "$ip" -t "$t" -f m --connect-timeout 5000 "$@" 2>&1 \
    | tee "$WORK/iperf-c-$tag.log" | awk '/receiver/ {v=$(NF-2)} END {if (v == "") v="n/a"; print v}'
  wait "$s" 2>/dev/null || true
}
