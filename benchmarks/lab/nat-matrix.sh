#!/usr/bin/env bash
# NAT matrix, gridmesh next to Nebula 1.6.1, in one run on this machine:
#   {no NAT, EIM (MASQUERADE), EDM (MASQUERADE --random-fully), UDP blocked} on side A x the same on side B.
#
#   gm<run>a 198.18.1.2 -- gm<run>na (router A) -- 198.18.10.1 gm<run>inet 198.18.20.1 -- gm<run>nb (router B) -- gm<run>b 198.18.2.2
#                                                    Nebula lighthouse 100.64.9.1 at 198.18.10.1:4242
#
# Nebula: lighthouse on the lab internet (bound to 198.18.10.1: gm<run>inet has two addresses, and a lighthouse on
# 0.0.0.0 answers B's side from 198.18.20.1, which B's NAT firewall drops as unsolicited), punchy on (punch + respond), relays OFF (punch only: a relayed Nebula
# tunnel is not a direct path). Per cell: both nodes start, the time until the first ICMP echo over the overlay
# answers ("connect"), then ping RTT (mean of 10) and iperf3 TCP for 2 s; "no connection" after 10 s.
# gridmesh, measured the same way in the same lab: relay (TLS + STUN) on the lab internet at 198.18.10.1, a second
# STUN server (coturn) at 198.18.20.1, agents registered once beforehand (so each cell is a restart with the node key,
# as a lighthouse-signed Nebula cert is); per cell both agents start, then "connect" = process start to the first
# ICMP echo answered over the overlay (relayed or direct), "direct" = process start to agent A logging a direct path
# to B (the relay carries traffic until then; "relay" when none within the wait), RTT (mean of 10 pings, on the path
# in use after the wait) and iperf3 TCP for 2 s, both after a 3 s iperf3 warm-up (both systems); "both online ->
# direct" = from the later of the two agents' "registered" log lines to A's "direct" line (the issue's metric). Both systems include their process start in "connect" (a JVM start
# for gridmesh, a Go binary for Nebula).
#
# Output: both tables and one side-by-side table.
#
# Usage: sudo benchmarks/lab/nat-matrix.sh [--nebula-only] [--quick] [--nebula-wait SECONDS] [--gridmesh-wait SECONDS]
#                                         [--matrix-test]
#   --nebula-only      skip gridmesh
#   --quick            the 6 cells of DirectPathMatrixTest's CI subset instead of all 16
#   --nebula-wait S    give Nebula S seconds per cell to connect (default 10)
#   --gridmesh-wait S  give gridmesh S seconds per cell to find a direct path (default 15)
#   --matrix-test      also run the netns test DirectPathMatrixTest (-Dgridmesh.it.matrix=full unless --quick),
#                      which prints time from both agents online to direct, probes spent, and adds the same-NAT and
#                      miniupnpd cells; its table is printed after the others
# KEEP=1 keeps the logs (agents, relay, nebula) in /tmp/gridmesh-natmatrix.*.
# Needs root, nebula, coturn, iperf3, conntrack. Every loop is bounded; everything created is removed on exit, error
# or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NEBULA_ONLY=0
QUICK=0
NEBULA_WAIT=10
GRIDMESH_WAIT=15
MATRIX_TEST=0
while (($#)); do
  case "$1" in
    --nebula-only) NEBULA_ONLY=1 ;;
    --quick) QUICK=1 ;;
    --nebula-wait) NEBULA_WAIT=${2:?--nebula-wait needs SECONDS}; shift ;;
    --gridmesh-wait) GRIDMESH_WAIT=${2:?--gridmesh-wait needs SECONDS}; shift ;;
    --matrix-test) MATRIX_TEST=1 ;;
    *) printf 'nat-matrix.sh: unknown option %s (see the header of this script)\n' "$1" >&2; exit 2 ;;
  esac
  shift
done
C=abcdefghijklmnopqrstuvwxyz0123456789
RUN=${C:RANDOM%26:1}${C:RANDOM%36:1}${C:RANDOM%36:1}${C:RANDOM%36:1}
P="gm$RUN"
WORK=$(mktemp -d "/tmp/gridmesh-natmatrix.$RUN.XXXX")
PIDS=()
ROWS=()
NEB=()   # "A label<TAB>B label<TAB>connect<TAB>rtt<TAB>tput" per Nebula cell, for the side-by-side table
GMROWS=()
GM=()    # "connect<TAB>direct<TAB>path<TAB>rtt<TAB>tput" per gridmesh cell, same order as NEB
KINDS=(routed eim edm blocked)
# DirectPathMatrixTest's default (CI) subset, same order
QUICK_CELLS=("routed routed" "eim eim" "routed edm" "eim edm" "edm edm" "blocked routed")
declare -A LABEL=([routed]="no NAT" [eim]="EIM (MASQUERADE)" [edm]="EDM (--random-fully)" [blocked]="UDP blocked")

log() { printf '%s\n' "$*" >&2; }
ns() { local n=$1; shift; ip netns exec "$P$n" "$@"; }
# bg NS CMD...: starts CMD in namespace NS in the background with $! = CMD's own pid. (`ns ... &` would fork a
# subshell for the function: $! is then that subshell, and killing it leaves the daemon running. Earlier runs of this
# script did exactly that: every Nebula node after the first cell failed with "Failed to get a tun/tap device:
# device or resource busy" and the first cell's nodes carried all later cells.)
bg() { local n=$1; shift; exec ip netns exec "$P$n" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_nodes
  local n
  for n in a na inet nb b; do
    for pid in $(ip netns pids "$P$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$P$n" 2>/dev/null || true
  done
  if ((rc != 0)) || [ -n "${KEEP:-}" ]; then log "nat-matrix.sh: exit $rc; logs in $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_nodes() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
}

link() { # link NS1 IF1 CIDR1 NS2 IF2 CIDR2
  ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
  ns "$1" ip addr add "$3" dev "$2"; ns "$1" ip link set "$2" up
  ns "$4" ip addr add "$6" dev "$5"; ns "$4" ip link set "$5" up
}

lab() {
  local n
  for n in a na inet nb b; do ip netns add "$P$n"; ns "$n" ip link set lo up; done
  link a v-na 198.18.1.2/24 na lan 198.18.1.1/24
  link na wan 198.18.10.2/24 inet v-na 198.18.10.1/24
  link b v-nb 198.18.2.2/24 nb lan 198.18.2.1/24
  link nb wan 198.18.20.2/24 inet v-nb 198.18.20.1/24
  ns a ip route add default via 198.18.1.1
  ns b ip route add default via 198.18.2.1
  ns na ip route add default via 198.18.10.1
  ns nb ip route add default via 198.18.20.1
  ns inet ip route add 198.18.1.0/24 via 198.18.10.2
  ns inet ip route add 198.18.2.0/24 via 198.18.20.2
  for n in inet na nb; do ns "$n" sysctl -qw net.ipv4.ip_forward=1; done
}

router() { # router NS KIND LANPREFIX: same rules as the Java lab's NatKind (home-router firewall for every NAT)
  local r=$1 kind=$2 lan=$3
  ns "$r" iptables -F; ns "$r" iptables -t nat -F; ns "$r" conntrack -F >/dev/null 2>&1 || true
  case "$kind" in
    routed) return 0 ;;
    eim|blocked) ns "$r" iptables -t nat -A POSTROUTING -s "$lan" -o wan -j MASQUERADE ;;
    edm) ns "$r" iptables -t nat -A POSTROUTING -s "$lan" -o wan -j MASQUERADE --random-fully ;;
  esac
  [ "$kind" = blocked ] && ns "$r" iptables -A FORWARD -p udp -j DROP
  ns "$r" iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ns "$r" iptables -A FORWARD -i wan -o lan -j DROP
  ns "$r" iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  ns "$r" iptables -A INPUT -i wan -j DROP
}

nebula_config() { # nebula_config NAME IP LIGHTHOUSE(0|1)
  local name=$1 lh=$3
  cat >"$WORK/$name.yml" <<EOF
pki: {ca: $WORK/ca.crt, cert: $WORK/$name.crt, key: $WORK/$name.key}
static_host_map: {"100.64.9.1": ["198.18.10.1:4242"]}
lighthouse: {am_lighthouse: $([ "$lh" = 1 ] && echo true || echo false), interval: 5, hosts: [$([ "$lh" = 1 ] || echo '"100.64.9.1"')]}
listen: {host: $([ "$lh" = 1 ] && echo 198.18.10.1 || echo 0.0.0.0), port: $([ "$lh" = 1 ] && echo 4242 || echo 0)}
punchy: {punch: true, respond: true, delay: 100ms}
relay: {am_relay: false, use_relays: false}
tun: {dev: nb0, mtu: 1300}
logging: {level: info}
firewall:
  outbound: [{port: any, proto: any, host: any}]
  inbound: [{port: any, proto: any, host: any}]
EOF
}

nebula_setup() {
  (cd "$WORK" && nebula-cert ca -name lab >/dev/null \
    && nebula-cert sign -name lh -ip 100.64.9.1/24 >/dev/null \
    && nebula-cert sign -name a -ip 100.64.9.2/24 >/dev/null \
    && nebula-cert sign -name b -ip 100.64.9.3/24 >/dev/null)
  nebula_config lh 100.64.9.1 1; nebula_config a 100.64.9.2 0; nebula_config b 100.64.9.3 0
  (bg inet nebula -config "$WORK/lh.yml" >"$WORK/lh.log" 2>&1) &
  LH=$!
}

nebula_cell() { # nebula_cell KIND_A KIND_B
  router na "$1" 198.18.1.0/24
  router nb "$2" 198.18.2.0/24
  local t0 t1 connect="no connection" rtt="-" tput="-"
  t0=$(date +%s%N)
  (bg a nebula -config "$WORK/a.yml" >"$WORK/a-$1-$2.log" 2>&1) & PIDS+=($!)
  (bg b nebula -config "$WORK/b.yml" >"$WORK/b-$1-$2.log" 2>&1) & PIDS+=($!)
  local deadline=$((SECONDS + NEBULA_WAIT))
  while ((SECONDS < deadline)); do
    if ns a ping -c1 -W0.2 -q 100.64.9.3 >/dev/null 2>&1; then
      t1=$(date +%s%N); connect="$(( (t1 - t0) / 1000000 )) ms"; break
    fi
  done
  if [ "$connect" != "no connection" ]; then
    warm_up a b 100.64.9.3
    rtt=$(ns a ping -c10 -i0.1 -q 100.64.9.3 | awk -F/ '/rtt/ {print $5 " ms"}' || true)
    (bg b timeout 20 iperf3 -s -1 -p 5201 >/dev/null 2>&1) & local srv=$!
    sleep 0.3
    tput=$(ns a iperf3 -c 100.64.9.3 -p 5201 -t 2 -J 2>/dev/null \
      | awk -F: '/"bits_per_second"/ {v=$2} END {gsub(/[ ,]/, "", v); if (v != "") printf "%.0f Mbit/s", v/1e6}' || true)
    kill "$srv" 2>/dev/null || true
  fi
  stop_nodes
  # the next cell needs nb0 free in both namespaces: nothing may be left running there (bounded wait)
  local n
  for n in a b; do
    for _ in $(seq 50); do [ -z "$(ip netns pids "$P$n")" ] && break; sleep 0.1; done
    for pid in $(ip netns pids "$P$n"); do log "nat-matrix.sh: killing leftover pid $pid in $P$n"; kill -9 "$pid" 2>/dev/null || true; done
  done
  if grep -q 'Failed to get a tun' "$WORK/a-$1-$2.log" "$WORK/b-$1-$2.log"; then
    log "nat-matrix.sh: nebula could not open its tun device in cell $1 x $2; logs in $WORK"; exit 1
  fi
  ROWS+=("$(printf '| %-22s | %-22s | %-15s | %-10s | %-12s |' "${LABEL[$1]}" "${LABEL[$2]}" "$connect" "${rtt:--}" "${tput:--}")")
  NEB+=("$(printf '%s\t%s\t%s\t%s\t%s' "${LABEL[$1]}" "${LABEL[$2]}" "$connect" "${rtt:--}" "${tput:--}")")
  log "nebula ${LABEL[$1]} x ${LABEL[$2]}: $connect, rtt $rtt, $tput"
}

# ------------------------------------------------------------------------------------------------ gridmesh cells
gm() { # gm NS ARGS...: the CLI from this run's snapshot of the jars, in namespace NS (exec: $! is the JVM itself)
  local n=$1; shift
  exec ip netns exec "$P$n" "$JAVA" -Xmx128m -XX:+UseSerialGC -Xss512k --enable-native-access=ALL-UNNAMED \
    -cp "$WORK/lib/*" dev.gridmesh.cli.Main "$@"
}
gm_agent() { # gm_agent NS LOG: starts agent NS (a or b) in the background; appends its pid to PIDS
  (gm "$1" agent --server "198.18.10.1:8443" --pin "$PIN" --token "$TOKEN" --hostname "bench-$1" \
      --state-dir "$WORK/gm-$1" --tun gm0 --stun 198.18.10.1:3478 --stun 198.18.20.1:3478 >"$2" 2>&1) &
  PIDS+=($!)
}
overlay_ip() { ns "$1" ip -4 -o addr show dev gm0 2>/dev/null | awk '{split($4, a, "/"); print a[1]}'; }
has_ip() { [ -n "$(overlay_ip "$1")" ]; }
log_ms() { # log_ms FILE PATTERN: the first matching log line's time of day (HH:mm:ss.SSS prefix) in ms, or nothing
  grep -m1 -- "$2" "$1" | awk '{split($1, t, /[:.]/); if (t[4] != "") print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]}'
}
online_to_direct() { # online_to_direct LOG_A LOG_B: ms from both agents registered to A's first direct path to B
  local ra rb d
  ra=$(log_ms "$1" ': registered as'); rb=$(log_ms "$2" ': registered as'); d=$(log_ms "$1" 'peer bench-b: direct')
  [ -n "$ra" ] && [ -n "$rb" ] && [ -n "$d" ] || { echo "-"; return; }
  ((rb > ra)) && ra=$rb
  echo "$((d - ra)) ms"
}
warm_up() { # warm_up CLIENT_NS SERVER_NS IP: 3 s of iperf3, not measured (a JVM's JIT, a Go runtime's buffers)
  (bg "$2" timeout 20 iperf3 -s -1 -p 5202 >/dev/null 2>&1) & local srv=$!
  sleep 0.3
  ns "$1" timeout 15 iperf3 -c "$3" -p 5202 -t 3 >/dev/null 2>&1 || true
  kill "$srv" 2>/dev/null || true
}
wait_until() { # wait_until SECONDS CMD...: polls every 50 ms; status 1 after SECONDS
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || return 1; sleep 0.05; done
}

gridmesh_setup() { # relay + coturn on the lab internet; both agents registered once (their node keys are kept)
  JAVA="$("$ROOT/gridmesh" --launcher-java-home)/bin/java"
  local v
  v=$("$ROOT/gridmesh" --version | head -1) || true
  [ -n "$v" ] || { log "nat-matrix.sh: ./gridmesh --version failed (build broken?); see .build.log"; exit 1; }
  log "nat-matrix.sh: $v, cli/target/dist/lib"
  cp -r "$ROOT/cli/target/dist/lib" "$WORK/lib"   # a snapshot: other builds in this tree must not change the jars
  (gm inet relay --state-dir "$WORK/gm-relay" --listen 0.0.0.0:8443 --stun-listen 198.18.10.1:3478 \
      >"$WORK/gm-relay.log" 2>&1) &
  GM_RELAY=$!
  (bg inet turnserver --stun-only -L 198.18.20.1 -p 3478 --no-cli -n --no-tls --no-dtls --log-file stdout \
      --pidfile "$WORK/coturn.pid" >"$WORK/coturn.log" 2>&1) &
  GM_COTURN=$!
  wait_until 120 grep -q 'certificate pin' "$WORK/gm-relay.log" || { log "nat-matrix.sh: the relay did not start"; exit 1; }
  PIN=$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/gm-relay.log" | head -1)
  TOKEN=$(ns inet "$JAVA" -Xmx64m -XX:TieredStopAtLevel=1 -cp "$WORK/lib/*" dev.gridmesh.cli.Main relay token create \
      --reusable --expires 1h --state-dir "$WORK/gm-relay")
  router na routed 198.18.1.0/24; router nb routed 198.18.2.0/24
  gm_agent a "$WORK/gm-a-register.log"; gm_agent b "$WORK/gm-b-register.log"
  wait_until 120 has_ip a && wait_until 120 has_ip b \
    || { log "nat-matrix.sh: gridmesh agents did not come up; logs in $WORK"; exit 1; }
  GM_B=$(overlay_ip b)
  stop_nodes; wait_gone
}

wait_gone() { # nothing may be left running in a or b (TUN names are reused by the next cell); bounded
  local n pid
  for n in a b; do
    for _ in $(seq 50); do [ -z "$(ip netns pids "$P$n")" ] && break; sleep 0.1; done
    for pid in $(ip netns pids "$P$n"); do log "nat-matrix.sh: killing leftover pid $pid in $P$n"; kill -9 "$pid" 2>/dev/null || true; done
  done
}

gridmesh_cell() { # gridmesh_cell KIND_A KIND_B
  router na "$1" 198.18.1.0/24
  router nb "$2" 198.18.2.0/24
  local t0 t1 connect="no connection" direct="relay" path="relay" rtt="-" tput="-" la="$WORK/gm-a-$1-$2.log" od="-"
  t0=$(date +%s%N)
  gm_agent a "$la"; gm_agent b "$WORK/gm-b-$1-$2.log"
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)); do
    if ns a ping -c1 -W0.2 -q "$GM_B" >/dev/null 2>&1; then
      t1=$(date +%s%N); connect="$(( (t1 - t0) / 1000000 )) ms"; break
    fi
    sleep 0.02
  done
  if [ "$connect" != "no connection" ]; then
    # the agent logs "peer NAME: direct ENDPOINT (rtt ...)" when its path to NAME turns direct
    if wait_until "$GRIDMESH_WAIT" grep -q 'peer bench-b: direct' "$la"; then
      t1=$(date +%s%N); direct="$(( (t1 - t0) / 1000000 )) ms"; path=direct
    fi
    warm_up a b "$GM_B"
    rtt=$(ns a ping -c10 -i0.1 -q "$GM_B" | awk -F/ '/rtt/ {print $5 " ms"}' || true)
    (bg b timeout 20 iperf3 -s -1 -p 5201 >/dev/null 2>&1) & local srv=$!
    sleep 0.3
    tput=$(ns a iperf3 -c "$GM_B" -p 5201 -t 2 -J 2>/dev/null \
      | awk -F: '/"bits_per_second"/ {v=$2} END {gsub(/[ ,]/, "", v); if (v != "") printf "%.0f Mbit/s", v/1e6}' || true)
    kill "$srv" 2>/dev/null || true
    # the path must still be the one reported: a fall back to the relay during the measurement is shown
    [ "$path" = direct ] && grep -q 'peer bench-b: relay' <(sed -n '/peer bench-b: direct/,$p' "$la") \
      && direct="$direct, then relay"
    [ "$path" = direct ] && od=$(online_to_direct "$la" "$WORK/gm-b-$1-$2.log")
  fi
  stop_nodes; wait_gone
  GMROWS+=("$(printf '| %-22s | %-22s | %-15s | %-19s | %-12s | %-10s | %-12s |' "${LABEL[$1]}" "${LABEL[$2]}" "$connect" "$direct" "$od" "${rtt:--}" "${tput:--}")")
  GM+=("$(printf '%s\t%s\t%s\t%s' "$connect" "$direct" "${rtt:--}" "${tput:--}")")
  log "gridmesh ${LABEL[$1]} x ${LABEL[$2]}: connect $connect, direct $direct (online->direct $od), rtt $rtt, $tput"
}

log "nat-matrix.sh: run $RUN, lab namespaces $P*"
lab
CELLS=()
if ((QUICK)); then CELLS=("${QUICK_CELLS[@]}"); else
  for x in "${KINDS[@]}"; do for y in "${KINDS[@]}"; do CELLS+=("$x $y"); done; done
fi
nebula_setup
for c in "${CELLS[@]}"; do nebula_cell ${c% *} ${c#* }; done
kill "$LH" 2>/dev/null || true

echo
echo "### Nebula 1.6.1 (punchy on, relays off), this run"
echo "| A side | B side | connect (ICMP) | RTT | TCP 2 s |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"

if ((NEBULA_ONLY == 0)); then
  gridmesh_setup
  for c in "${CELLS[@]}"; do gridmesh_cell ${c% *} ${c#* }; done
  kill "$GM_RELAY" "$GM_COTURN" 2>/dev/null || true
  echo
  echo "### gridmesh, this run (agents restarted per cell; relay and STUN on the lab internet)"
  echo "| A side | B side | connect (ICMP) | direct path | both online -> direct | RTT | TCP 2 s |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${GMROWS[@]}"
  echo
  echo "### Side by side, this run: time from process start; Nebula without relays, gridmesh relayed until direct"
  echo "| A side | B side | Nebula connect | gridmesh connect | gridmesh direct | Nebula RTT | gridmesh RTT | Nebula TCP 2 s | gridmesh TCP 2 s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for i in "${!NEB[@]}"; do
    IFS=$'\t' read -r na nb nc nr nt <<<"${NEB[$i]}"
    IFS=$'\t' read -r gc gd gr gt <<<"${GM[$i]}"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$na" "$nb" "$nc" "$gc" "$gd" "$nr" "$gr" "$nt" "$gt"
  done
fi

if ((MATRIX_TEST)); then
  # the gridmesh matrix test builds its own lab (namespaces gm<its run>...); a failing cell fails the test but its
  # table is still printed, so the exit status is reported rather than aborting here
  log "nat-matrix.sh: DirectPathMatrixTest, output in $WORK/gridmesh-matrix.log"
  matrix=()
  ((QUICK)) || matrix=(-Dgridmesh.it.matrix=full)
  mrc=0
  JAVA_HOME=$("$ROOT/gridmesh" --launcher-java-home) timeout 1200 mvn -B -o -f "$ROOT/pom.xml" -pl integration-tests test -Pit \
      -Dtest=DirectPathMatrixTest "${matrix[@]}" -Dsurefire.failIfNoSpecifiedTests=false >"$WORK/gridmesh-matrix.log" 2>&1 \
    || mrc=$?
  echo
  echo "### DirectPathMatrixTest, this run (time from both agents online; probes spent)"
  sed -n '/DIRECT PATH MATRIX/,/^$/p' "$WORK/gridmesh-matrix.log" | grep '^|' || {
    log "nat-matrix.sh: the gridmesh matrix printed no table (mvn exit $mrc); see $WORK/gridmesh-matrix.log"
    tail -30 "$WORK/gridmesh-matrix.log" >&2; exit 1; }
  ((mrc == 0)) || { log "nat-matrix.sh: DirectPathMatrixTest failed (mvn exit $mrc: a cell differs from its expectation)"; exit "$mrc"; }
fi
