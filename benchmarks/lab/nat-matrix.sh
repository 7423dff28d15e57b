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
# gridmesh: the same matrix through its netns test (DirectPathMatrixTest, -Dgridmesh.it.matrix=full), which prints
# per cell: path (direct / relay), time from both agents online to the first direct path, probes, disco ping RTT.
#
# Output: one table, one row per cell, Nebula's figures next to gridmesh's (cells only one system ran show "not run").
#
# Usage: sudo benchmarks/lab/nat-matrix.sh [--nebula-only] [--quick] [--nebula-wait SECONDS]
#   --nebula-only    skip the gridmesh matrix
#   --quick          the 6 cells of DirectPathMatrixTest's CI subset (plus its same-NAT and miniupnpd cells for
#                    gridmesh) instead of all 16 (~4 minutes instead of ~10)
#   --nebula-wait S  give Nebula S seconds per cell to connect (default 10)
# Needs root, nebula, iperf3, conntrack. Every loop is bounded; everything created is removed on exit, error or Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NEBULA_ONLY=0
QUICK=0
NEBULA_WAIT=10
while (($#)); do
  case "$1" in
    --nebula-only) NEBULA_ONLY=1 ;;
    --quick) QUICK=1 ;;
    --nebula-wait) NEBULA_WAIT=${2:?--nebula-wait needs SECONDS}; shift ;;
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
  if ((rc != 0)); then log "nat-matrix.sh: failed (exit $rc); logs in $WORK"; else rm -rf "$WORK"; fi
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

log "nat-matrix.sh: run $RUN, lab namespaces $P*"
lab
nebula_setup
if ((QUICK)); then
  for c in "${QUICK_CELLS[@]}"; do nebula_cell ${c% *} ${c#* }; done
else
  for x in "${KINDS[@]}"; do for y in "${KINDS[@]}"; do nebula_cell "$x" "$y"; done; done
fi
kill "$LH" 2>/dev/null || true

echo
echo "### Nebula 1.6.1 (punchy on, relays off), this run"
echo "| A side | B side | connect (ICMP) | RTT | TCP 2 s |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"

if ((NEBULA_ONLY == 0)); then
  # the gridmesh matrix builds its own lab (namespaces gm<its run>...); a failing cell fails the test but its table is
  # still printed, so the exit status is reported rather than aborting here
  log "nat-matrix.sh: gridmesh matrix (DirectPathMatrixTest), output in $WORK/gridmesh-matrix.log"
  matrix=()
  ((QUICK)) || matrix=(-Dgridmesh.it.matrix=full)
  mrc=0
  JAVA_HOME=$("$ROOT/gridmesh" --launcher-java-home) timeout 1200 mvn -B -o -f "$ROOT/pom.xml" -pl integration-tests test -Pit \
      -Dtest=DirectPathMatrixTest "${matrix[@]}" -Dsurefire.failIfNoSpecifiedTests=false >"$WORK/gridmesh-matrix.log" 2>&1 \
    || mrc=$?
  sed -n '/DIRECT PATH MATRIX/,/^$/p' "$WORK/gridmesh-matrix.log" | grep '^| ' | grep -v '^| alpha side' >"$WORK/gridmesh.rows" || true
  if [ ! -s "$WORK/gridmesh.rows" ]; then
    log "nat-matrix.sh: the gridmesh matrix printed no table (mvn exit $mrc); see $WORK/gridmesh-matrix.log"
    tail -30 "$WORK/gridmesh-matrix.log" >&2
    exit 1
  fi
  ((mrc == 0)) || log "nat-matrix.sh: DirectPathMatrixTest failed (mvn exit $mrc: a cell differs from its expectation); table below"
  printf '%s\n' "${NEB[@]}" >"$WORK/nebula.rows"
  echo
  echo "### Side by side, this run (Nebula 1.6.1 punchy on, relays off | gridmesh DirectPathMatrixTest)"
  echo "| A side | B side | Nebula connect | Nebula RTT | Nebula TCP 2 s | gridmesh path (expected) | gridmesh to direct | gridmesh probes | gridmesh ping |"
  echo "|---|---|---|---|---|---|---|---|---|"
  # join on the two NAT labels (both scripts use the same names); repeated gridmesh cells (EIM x EIM) are joined
  # with " / "; gridmesh-only cells (same NAT, miniupnpd) come last with "not run" for Nebula
  awk -F'\t' '
    function trim(x) { gsub(/^ +| +$/, "", x); return x }
    FNR == NR { k = $1 SUBSEP $2; order[++n] = k; neb[k] = $3 " | " $4 " | " $5; a[k] = $1; b[k] = $2; next }
    {
      split($0, f, "|"); k = trim(f[2]) SUBSEP trim(f[3])
      p = trim(f[5]) " (" trim(f[4]) ")"
      if (!(k in seen)) { seen[k] = 1; gorder[++m] = k; a[k] = trim(f[2]); b[k] = trim(f[3])
        path[k] = p; td[k] = trim(f[6]); pr[k] = trim(f[7]); pg[k] = trim(f[8]) }
      else { path[k] = path[k] " / " p; td[k] = td[k] " / " trim(f[6]); pr[k] = pr[k] " / " trim(f[7])
        pg[k] = pg[k] " / " trim(f[8]) }
    }
    END {
      for (i = 1; i <= n; i++) { k = order[i]; done[k] = 1
        g = (k in seen) ? path[k] " | " td[k] " | " pr[k] " | " pg[k] : "not run | | |"
        print "| " a[k] " | " b[k] " | " neb[k] " | " g " |" }
      for (i = 1; i <= m; i++) { k = gorder[i]; if (k in done) continue
        print "| " a[k] " | " b[k] " | not run | | | " path[k] " | " td[k] " | " pr[k] " | " pg[k] " |" }
    }' "$WORK/nebula.rows" FS='|' "$WORK/gridmesh.rows"
  ((mrc == 0)) || exit "$mrc"
fi
