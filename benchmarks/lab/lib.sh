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

# in_ns NS CMD...: CMD in this run's namespace $P$NS
in_ns() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }

# tunnel_lab: the lab of tunnel.sh and tunnel-cpu.sh (diagram atop tunnel.sh). Namespaces ${P}w worker, ${P}n its
# NAT (MASQUERADE --random-fully + a home router's inbound DROP), ${P}j jump/relay host, ${P}e engineer; then in
# $WORK: the engineer's and the worker's ssh keys (eng_key, worker_key), authorized_keys, and sshd configs
# worker_sshd_config (127.0.0.1:22) and jump_sshd_config (198.18.40.1:22 and 198.18.42.1:22).
tunnel_lab() {
  local ns
  for ns in w n j e; do ip netns add "$P$ns"; in_ns "$ns" ip link set lo up; done
  veth w lan 198.18.41.2/24 n wlan 198.18.41.1/24
  veth n wan 198.18.40.2/24 j nat 198.18.40.1/24
  veth e wan 198.18.42.2/24 j eng 198.18.42.1/24
  in_ns w ip route add default via 198.18.41.1
  in_ns n ip route add default via 198.18.40.1
  in_ns e ip route add default via 198.18.42.1
  in_ns n sysctl -qw net.ipv4.ip_forward=1
  in_ns j sysctl -qw net.ipv4.ip_forward=1
  in_ns n iptables -t nat -A POSTROUTING -s 198.18.41.0/24 -o wan -j MASQUERADE --random-fully
  in_ns n iptables -A FORWARD -i wan -o wlan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns n iptables -A FORWARD -i wan -o wlan -j DROP

  mkdir -p "$WORK/home" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/eng_key"
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/worker_key"
  cat "$WORK/eng_key.pub" "$WORK/worker_key.pub" >"$WORK/authorized_keys"
  _sshd_conf worker 127.0.0.1:22
  _sshd_conf jump 198.18.40.1:22
  echo "ListenAddress 198.18.42.1:22" >>"$WORK/jump_sshd_config"
}
# veth NS_A IF_A CIDR_A NS_B IF_B CIDR_B: a veth pair between two of this run's namespaces, addressed and up
veth() {
  ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
  in_ns "$1" ip addr add "$3" dev "$2"; in_ns "$1" ip link set "$2" up
  in_ns "$4" ip addr add "$6" dev "$5"; in_ns "$4" ip link set "$5" up
}
_sshd_conf() { # NAME LISTEN
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/$1_host"
  printf '%s\n' "ListenAddress $2" "HostKey $WORK/$1_host" "PidFile $WORK/$1.pid" "UsePAM no" \
    "PermitRootLogin prohibit-password" "AuthorizedKeysFile $WORK/authorized_keys" "StrictModes no" \
    "PasswordAuthentication no" "KbdInteractiveAuthentication no" "SetEnv HOME=$WORK/home" "GatewayPorts no" \
    "MaxStartups 100" >"$WORK/$1_sshd_config"
}

# private_cli NAME: copies the jars under test (GRIDMESH_LIB, default ROOT/cli/target/dist/lib, built if missing) to
# $WORK/lib, so a rebuild elsewhere cannot swap them mid-run, and writes $WORK/NAME, a `gridmesh` running from them
private_cli() {
  local src=${GRIDMESH_LIB:-$ROOT/cli/target/dist/lib} java
  [ -d "$src" ] || "$ROOT/gridmesh" --version >/dev/null
  mkdir -p "$WORK/lib" && cp "$src"/*.jar "$WORK/lib/"
  java="$("$ROOT/gridmesh" --launcher-java-home)/bin/java"
  printf '#!/bin/sh\nexec %s -Xss512k --enable-native-access=ALL-UNNAMED -cp "%s/lib/*" dev.gridmesh.cli.Main "$@"\n' \
    "$java" "$WORK" >"$WORK/$1"
  chmod +x "$WORK/$1"
}
