#!/usr/bin/env bash
# Lab benchmark: TCP throughput (iperf3, 5 s, both directions) and ping RTT (mean of 20) between two network
# namespaces, over four paths in one run, printed as a markdown table:
#   raw veth | wireguard-go <-> wireguard-go | gridmesh <-> gridmesh | gridmesh <-> wireguard-go
#
#   gm<run>a  198.18.0.1/24  ----veth----  198.18.0.2/24  gm<run>b
#             overlay 100.64.0.1/24          overlay 100.64.0.2/24   (one tunnel at a time; iperf3 server in b)
#
# Usage: sudo benchmarks/lab/throughput.sh        (about 2 minutes; needs root; installs iperf3/wireguard-go/
#        wireguard-tools/iputils-ping if missing; builds gridmesh via ./gridmesh)
# Env:   SECONDS_PER_TEST (default 5), PINGS (default 20),
#        GRIDMESH_LIB=DIR (run the jars in DIR, e.g. another build's cli/target/dist/lib, instead of ./gridmesh's).
# CPU ms per GB: CPU time (utime + stime, all threads) of the VPN processes in both namespaces per GB carried.
# The box is the bottleneck (client, server and both VPN ends share its cores): compare rows within one run only.
# Every loop is bounded; everything created is removed on exit, error or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GRIDMESH="$ROOT/gridmesh"
T=${SECONDS_PER_TEST:-5}
PINGS=${PINGS:-20}
C=abcdefghijklmnopqrstuvwxyz0123456789
RUN=${C:RANDOM%26:1}${C:RANDOM%36:1}${C:RANDOM%36:1}${C:RANDOM%36:1}
P="gm$RUN"
WORK=$(mktemp -d "/tmp/gridmesh-bench.$RUN.XXXX")
PORT=51820
PIDS=()
ROWS=()

# shellcheck source=lib.sh
. "$ROOT/benchmarks/lab/lib.sh"   # log, wait_for (shared with relay-throughput.sh)
in_a() { ip netns exec "${P}a" "$@"; }
in_b() { ip netns exec "${P}b" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  for ns in "${P}a" "${P}b"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f "/var/run/wireguard/$P"*.sock "/run/gridmesh/$P"*.sock "/run/gridmesh-lab/$P"
  if ((rc != 0)); then log "throughput.sh: failed (exit $rc); logs:"; tail -n 15 "$WORK"/*.log >&2 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
}

# ------------------------------------------------------------------------------------------------ set-up
[ "$(id -u)" = 0 ] || { log "throughput.sh: needs root (network namespaces, TUN)"; exit 1; }
need_tools ip:iproute2 ping:iputils-ping iperf3:iperf3 wireguard-go:wireguard-go wg:wireguard-tools mvn:maven
mkdir -p /run/gridmesh-lab && echo "$$ $(awk '{print $22}' "/proc/$$/stat")" >"/run/gridmesh-lab/$P"
if [ -n "${GRIDMESH_LIB:-}" ]; then   # jars of another build (e.g. a before/after comparison)
  [ -f "$GRIDMESH_LIB/gridmesh-cli-0.1.0-SNAPSHOT.jar" ] || { log "throughput.sh: no gridmesh jars in $GRIDMESH_LIB"; exit 2; }
  JAVA="$("$GRIDMESH" --launcher-java-home)/bin/java"
  cp -r "$GRIDMESH_LIB" "$WORK/lib"
  printf '#!/bin/sh\nexec "%s" -Xss512k --enable-native-access=ALL-UNNAMED -cp "%s/lib/*" dev.gridmesh.cli.Main "$@"\n' \
    "$JAVA" "$WORK" >"$WORK/gridmesh"
  chmod +x "$WORK/gridmesh"
  GRIDMESH="$WORK/gridmesh"
else
  log "building gridmesh if needed: $("$GRIDMESH" --version)"
fi
HZ=$(getconf CLK_TCK)
vpn_ticks() { # CPU ticks (utime + stime) of every process in both namespaces except the measuring tools
  local t=0 pid
  for pid in $(ip netns pids "${P}a" 2>/dev/null) $(ip netns pids "${P}b" 2>/dev/null); do
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in iperf3|ping|timeout|bash|ss|grep|"") continue ;; esac
    t=$((t + $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
  done
  echo "$t"
}

ip netns add "${P}a"; ip netns add "${P}b"
in_a ip link set lo up; in_b ip link set lo up
ip link add v-b netns "${P}a" type veth peer name v-a netns "${P}b"
in_a ip addr add 198.18.0.1/24 dev v-b; in_a ip link set v-b up
in_b ip addr add 198.18.0.2/24 dev v-a; in_b ip link set v-a up

wg_keys() { # prints "PRIVATE PUBLIC"
  local k; k=$(wg genkey); echo "$k $(wg pubkey <<<"$k")"
}
read -r KA_PRIV KA_PUB <<<"$(wg_keys)"
read -r KB_PRIV KB_PUB <<<"$(wg_keys)"
declare -A PRIV=([a]=$KA_PRIV [b]=$KB_PRIV) PUB=([a]=$KA_PUB [b]=$KB_PUB) OVL=([a]=100.64.0.1 [b]=100.64.0.2)
declare -A LAB=([a]=198.18.0.1 [b]=198.18.0.2)
other() { [ "$1" = a ] && echo b || echo a; }

start_wggo() { # start_wggo SIDE IFNAME
  local s=$1 ifn=$2 o; o=$(other "$1")
  ip netns exec "$P$s" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f "$ifn" >"$WORK/$ifn.log" 2>&1 &
  PIDS+=($!)
  wait_for "wireguard-go $ifn" 10 ip netns exec "$P$s" wg show "$ifn"
  install -m 600 /dev/null "$WORK/$ifn.key"; echo "${PRIV[$s]}" >"$WORK/$ifn.key"
  ip netns exec "$P$s" wg set "$ifn" private-key "$WORK/$ifn.key" listen-port $PORT \
    peer "${PUB[$o]}" allowed-ips "${OVL[$o]}/32" endpoint "${LAB[$o]}:$PORT"
  ip netns exec "$P$s" ip addr add "${OVL[$s]}/24" dev "$ifn"
  ip netns exec "$P$s" ip link set "$ifn" mtu 1420 up
}

start_gridmesh() { # start_gridmesh SIDE IFNAME
  local s=$1 ifn=$2 o; o=$(other "$1")
  install -m 600 /dev/null "$WORK/$ifn.conf"
  cat >"$WORK/$ifn.conf" <<CONF
[Interface]
PrivateKey = ${PRIV[$s]}
Address = ${OVL[$s]}/24
ListenPort = $PORT
MTU = 1420

[Peer]
PublicKey = ${PUB[$o]}
AllowedIPs = ${OVL[$o]}/32
Endpoint = ${LAB[$o]}:$PORT
CONF
  ip netns exec "$P$s" "$GRIDMESH" wg-quick up "$WORK/$ifn.conf" >"$WORK/$ifn.log" 2>&1 &
  PIDS+=($!)
  wait_for "gridmesh $ifn" 90 ip netns exec "$P$s" "$GRIDMESH" wg-quick show "$ifn"
}

measure() { # measure LABEL TARGET_IP: appends a table row
  local label=$1 ip=$2 fwd rev rtt cfwd crev
  wait_for "ping to $ip ($label)" 20 in_a ping -c1 -W1 -q "$ip"
  in_b timeout 60 iperf3 -s -1 -B "$ip" >"$WORK/iperf-s-warm.log" 2>&1 &
  local srv=$!
  wait_for "iperf3 server" 10 in_b bash -c "ss -Hltn | grep -q ':5201 '"
  in_a timeout 30 iperf3 -c "$ip" -t 2 --connect-timeout 5000 >/dev/null 2>&1 || true   # warm-up (JIT, caches)
  wait "$srv" || true
  iperf_one() { # iperf_one [-R]
    in_b timeout 60 iperf3 -s -1 -B "$ip" >"$WORK/iperf-s.log" 2>&1 &
    local s=$! t0 mbps
    wait_for "iperf3 server" 10 in_b bash -c "ss -Hltn | grep -q ':5201 '"
    t0=$(vpn_ticks)
    mbps=$(in_a timeout $((T + 30)) iperf3 -c "$ip" -t "$T" -f m --connect-timeout 5000 "$@" 2>&1 \
      | tee -a "$WORK/iperf-c.log" | awk '/receiver/ {v=$(NF-2)} END {if (v == "") v="n/a"; print v}')
    awk -v d="$(($(vpn_ticks) - t0))" -v hz="$HZ" -v m="$mbps" -v s="$T" \
      'BEGIN {gb = m * s / 8 / 1000; if (d > 0 && gb > 0) printf "%d", d * 1000 / hz / gb; else printf "-"}' \
      >"$WORK/cpu-last"
    echo "$mbps"
    wait "$s" || true
  }
  fwd=$(iperf_one); cfwd=$(cat "$WORK/cpu-last")
  rev=$(iperf_one -R); crev=$(cat "$WORK/cpu-last")
  rtt=$(in_a ping -c "$PINGS" -i 0.2 -q "$ip" | awk -F/ '/^rtt/ {print $5}')
  ROWS+=("| $label | $fwd | $rev | ${rtt:-n/a} | $cfwd / $crev |")
  log "  $label: a->b $fwd Mbit/s, b->a $rev Mbit/s, RTT $rtt ms, CPU ms/GB $cfwd / $crev (load $(cut -d' ' -f1-3 /proc/loadavg))"
}

# ------------------------------------------------------------------------------------------------ paths
log "raw veth"
measure "raw veth, no VPN" 198.18.0.2

log "wireguard-go <-> wireguard-go"
start_wggo a "${P}ga"; start_wggo b "${P}gb"
measure "wireguard-go <-> wireguard-go" 100.64.0.2
stop_all

log "gridmesh <-> gridmesh"
start_gridmesh a "${P}ma"; start_gridmesh b "${P}mb"
measure "gridmesh <-> gridmesh" 100.64.0.2
stop_all

log "gridmesh (a) <-> wireguard-go (b)"
start_gridmesh a "${P}xa"; start_wggo b "${P}xb"
measure "gridmesh (client) <-> wireguard-go (server)" 100.64.0.2
stop_all

cat <<TABLE

$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r), $("$GRIDMESH" --version 2>/dev/null | head -1), wireguard-go $(wireguard-go --version 2>/dev/null | awk '/^wireguard-go/ {print $2}'), iperf3 $(iperf3 --version | awk 'NR==1 {print $2}')
iperf3 TCP ${T} s per direction (a->b = client in a sends; b->a = iperf3 -R), ping: mean RTT of ${PINGS}.
CPU ms per GB: CPU time of the VPN processes of both ends (all threads, JIT included) per GB carried. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).

| path | TCP a->b Mbit/s | TCP b->a (-R) Mbit/s | RTT ms | CPU ms per GB a->b / b->a |
|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")
TABLE
