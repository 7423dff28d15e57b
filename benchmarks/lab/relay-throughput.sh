#!/usr/bin/env bash
# Lab benchmark: relayed TCP throughput (iperf3, SECONDS_PER_TEST each way) through a gridmesh relay, for 1 agent
# pair and for PAIRS pairs at once, plus direct gridmesh <-> gridmesh (wg-quick over a veth) in the same run;
# prints a markdown table.
#
#                          gm<run>i  "lab internet": the relay (:8443); drops all forwarded UDP
#               198.18.1.1 |                                   | 198.18.2.1
#               198.18.1.2 | wan                           wan | 198.18.2.2
#   gm<run>n1  NAT: MASQUERADE --random-fully + firewall    gm<run>n2  (same)
#        198.18.11.1/24 bridge                                  198.18.12.1/24 bridge
#     gm<run>a1..aN (198.18.11.11..)  agents, TUN gm0        gm<run>b1..bN (198.18.12.11..)  iperf3 servers
#
#   gm<run>da 198.18.3.1/24 ---veth--- 198.18.3.2/24 gm<run>db   direct: gridmesh wg-quick both ends, 100.64.0.1/.2
#
# Pair i is agent a<i> (iperf3 client) and b<i> (iperf3 server); "a->b" = client sends, "b->a" = iperf3 -R.
# Usage: sudo benchmarks/lab/relay-throughput.sh     (root; ~3-5 min on a loaded 2-core box)
# Env:   SECONDS_PER_TEST (10), PAIRS (8), WARMUP (20: seconds of iperf3 --bidir over pair 1 first, so the JIT has
#        compiled the packet path: with 8 s, C2 was still compiling in every process during the 1-pair test; the
#        PAIRS-1 later pairs get the same warm-up, all at once, before their test),
#        AGENT_HEAP (-Xmx96m: per agent JVM), PROFILE=1 (JFR on the relay and pair 1's agents during the 1-pair
#        test, recordings kept in /tmp/gridmesh-relay-jfr.<run>/),
#        GRIDMESH_LIB=DIR (run the jars in DIR, e.g. another build's cli/target/dist/lib, instead of ./gridmesh's).
# One relay and 2*PAIRS agent JVMs share the box: compare rows within one run only. Every wait is bounded;
# namespaces, processes and files are removed on exit, error or Ctrl-C.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
GRIDMESH="$ROOT/gridmesh"
T=${SECONDS_PER_TEST:-10}
PAIRS=${PAIRS:-8}
AGENT_HEAP=${AGENT_HEAP:--Xmx96m}
PROFILE=${PROFILE:-0}
WARMUP=${WARMUP:-20}
C=abcdefghijklmnopqrstuvwxyz0123456789
RUN=${C:RANDOM%26:1}${C:RANDOM%36:1}${C:RANDOM%36:1}${C:RANDOM%36:1}
P="gm$RUN"
WORK=$(mktemp -d "/tmp/gridmesh-relaybench.$RUN.XXXX")
JFR_DIR="/tmp/gridmesh-relay-jfr.$RUN"
RELAY_PORT=8443
PIDS=()
ROWS=()
((PAIRS >= 1 && PAIRS <= 16)) || { log "relay-throughput.sh: PAIRS must be 1..16"; exit 2; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pids "${PIDS[@]}"
  del_run_netns
  rm -f "/run/gridmesh/$P"*.sock "/run/gridmesh-lab/$P"
  if ((rc != 0)); then log "relay-throughput.sh: failed (exit $rc); logs:"; tail -n 15 "$WORK"/*.log >&2 2>/dev/null || true; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


# ------------------------------------------------------------------------------------------------ set-up
[ "$(id -u)" = 0 ] || { log "relay-throughput.sh: needs root (network namespaces, TUN)"; exit 1; }
need_tools ip:iproute2 ping:iputils-ping iperf3:iperf3 iptables:iptables wg:wireguard-tools mvn:maven
mkdir -p /run/gridmesh-lab && echo "$$ $(awk '{print $22}' "/proc/$$/stat")" >"/run/gridmesh-lab/$P"
JAVA="$("$GRIDMESH" --launcher-java-home)/bin/java"
if [ -n "${GRIDMESH_LIB:-}" ]; then   # jars of another build (e.g. a before/after comparison)
  [ -f "$GRIDMESH_LIB/gridmesh-cli-0.1.0-SNAPSHOT.jar" ] || { log "relay-throughput.sh: no gridmesh jars in $GRIDMESH_LIB"; exit 2; }
  cp -r "$GRIDMESH_LIB" "$WORK/lib"
else
  log "building gridmesh if needed: $("$GRIDMESH" --version)"
  cp -r "$ROOT/cli/target/dist/lib" "$WORK/lib"   # a snapshot: other builds in this tree must not change the jars
fi
VERSION=$("$JAVA" -cp "$WORK/lib/*" dev.gridmesh.cli.Main --version 2>/dev/null | head -1)
gm() { # gm NS JVM_OPTS ARGS...: the CLI from the snapshot, in namespace NS
  local ns=$1 opts=$2; shift 2
  # shellcheck disable=SC2086
  ip netns exec "$P$ns" "$JAVA" $opts -Xss512k --enable-native-access=ALL-UNNAMED -cp "$WORK/lib/*" dev.gridmesh.cli.Main "$@"
}

mkns() { ip netns add "$P$1"; in_ns "$1" ip link set lo up; }
log "lab: relay, 2 symmetric NATs, $PAIRS agent pairs; direct pair on its own veth"
mkns i; mkns n1; mkns n2
veth n1 wan 198.18.1.2/24 i v-n1 198.18.1.1/24
veth n2 wan 198.18.2.2/24 i v-n2 198.18.2.1/24
in_ns i sysctl -qw net.ipv4.ip_forward=1
in_ns i iptables -A FORWARD -p udp -j DROP                   # no UDP between the NATs: relay only
for n in 1 2; do
  in_ns "n$n" ip link add lan type bridge
  in_ns "n$n" ip addr add "198.18.1$n.1/24" dev lan
  in_ns "n$n" ip link set lan up
  in_ns "n$n" ip route add default via "198.18.$n.1"
  in_ns "n$n" sysctl -qw net.ipv4.ip_forward=1
  in_ns "n$n" iptables -t nat -A POSTROUTING -s "198.18.1$n.0/24" -o wan -j MASQUERADE --random-fully
  in_ns "n$n" iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns "n$n" iptables -A FORWARD -i wan -o lan -j DROP
  in_ns "n$n" iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns "n$n" iptables -A INPUT -i wan -j DROP
done
for i in $(seq "$PAIRS"); do
  for side in a b; do
    n=1; [ "$side" = b ] && n=2
    mkns "$side$i"
    ip link add "p$side$i" netns "${P}n$n" type veth peer name v-lan netns "$P$side$i"
    in_ns "n$n" ip link set "p$side$i" master lan up
    in_ns "$side$i" ip addr add "198.18.1$n.$((10 + i))/24" dev v-lan
    in_ns "$side$i" ip link set v-lan up
    in_ns "$side$i" ip route add default via "198.18.1$n.1"
  done
done

# ------------------------------------------------------------------------------------------------ relay + agents
jfr() { # jfr NAME: JVM option recording to JFR_DIR when PROFILE=1
  ((PROFILE)) || return 0
  mkdir -p "$JFR_DIR"
  echo "-XX:StartFlightRecording=filename=$JFR_DIR/$1.jfr,settings=profile,dumponexit=true"
}
gm i "-Xmx256m $(jfr relay)" relay --state-dir "$WORK/relay" --listen ":$RELAY_PORT" --stun-listen :3478 >"$WORK/relay.log" 2>&1 &
PIDS+=($!)
wait_for "the relay to listen" 120 grep -q 'certificate pin' "$WORK/relay.log"
PIN=$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/relay.log" | head -1)
TOKEN=$(gm i "-Xmx64m -XX:TieredStopAtLevel=1" relay token create --reusable --expires 1h --state-dir "$WORK/relay")
declare -A AGENT_PID
start_agent() { # start_agent NS (a1, b3, ...)
  local ns=$1 n=1 opts="$AGENT_HEAP -XX:+UseSerialGC"
  [ "${ns:0:1}" = b ] && n=2
  [ "$ns" = a1 ] || [ "$ns" = b1 ] && opts="$opts $(jfr "agent-$ns")"
  gm "$ns" "$opts" agent --server "198.18.$n.1:$RELAY_PORT" --pin "$PIN" --token "$TOKEN" \
      --hostname "bench-$ns" --state-dir "$WORK/$ns" --tun gm0 >"$WORK/agent-$ns.log" 2>&1 &
  AGENT_PID[$ns]=$!
  PIDS+=($!)
}
overlay_ip() { in_ns "$1" ip -4 -o addr show dev gm0 2>/dev/null | awk '{split($4, a, "/"); print a[1]}'; }
has_overlay_ip() { [ -n "$(overlay_ip "$1")" ]; }
wait_pairs() { # wait_pairs FROM TO: agents up, ping through the relay works both ways
  local i
  for i in $(seq "$1" "$2"); do
    wait_for "agent a$i TUN" 180 has_overlay_ip "a$i" || return 1
    wait_for "agent b$i TUN" 180 has_overlay_ip "b$i" || return 1
  done
  for i in $(seq "$1" "$2"); do
    IP_B[$i]=$(overlay_ip "b$i")
    wait_for "ping a$i -> b$i via the relay" 60 in_ns "a$i" ping -c1 -W1 -q "${IP_B[$i]}"
  done
}
declare -A IP_B

log "1 pair: starting relay and agents a1, b1"
start_agent a1; start_agent b1
wait_pairs 1 1
in_ns a1 timeout $((WARMUP + 30)) iperf3 -c "${IP_B[1]}" -t "$WARMUP" --bidir --connect-timeout 5000 >/dev/null 2>&1 &   # JIT warm-up
warm=$!
in_ns b1 timeout $((WARMUP + 40)) iperf3 -s -1 -B "${IP_B[1]}" >/dev/null 2>&1 || true
wait "$warm" || true
RTT=$(in_ns a1 ping -c 20 -i 0.2 -q "${IP_B[1]}" | awk -F/ '/^rtt/ {print $5}')
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_ticks() { # cpu_ticks PID: "thread-name ticks" per thread name (utime+stime; spaces in names -> _)
  local t
  for t in /proc/"$1"/task/*; do
    awk '{sub(/^[0-9]+ \(/, ""); n = $0; sub(/\).*/, "", n); gsub(/ /, "_", n); sub(/^[^)]*\) /, ""); print n, $12 + $13}' "$t/stat" 2>/dev/null
  done | awk '{s[$1] += $2} END {for (k in s) print k, s[k]}'
}
jpid() { pgrep -f -- "--state-dir $WORK/$1( |$)" | head -1; }
HZ=$(getconf CLK_TCK)
# measure_1pair TAG [-R]: one iperf3 run over pair 1 with the CPU the relay and both agents spent on it. Sets
# MBPS, CPU_MS_PER_GB (CPU ms of relay + a1 + b1 per GB carried, JIT compiler threads excluded: a load-independent
# cost) and CPU_LINE (CPU seconds per thread).
measure_1pair() {
  local tag=$1 who; shift
  declare -A before
  for who in relay a1 b1; do before[$who]=$(cpu_ticks "$(jpid "$who")"); done
  MBPS=$(iperf_tcp "${P}b1" "${P}a1" "${IP_B[1]}" "$T" "$tag" "$@")
  CPU_LINE=""
  local total=0 d
  for who in relay a1 b1; do
    d=$(join -a2 -e0 -o 0,1.2,2.2 <(sort <<<"${before[$who]}") <(cpu_ticks "$(jpid "$who")" | sort))
    CPU_LINE+="$who: $(awk -v hz="$HZ" '{d = ($3 - $2) / hz; if (d >= 0.05) printf "%s %.2f s, ", $1, d}' <<<"$d"); "
    total=$((total + $(awk '$1 !~ /^C[12]_Compiler/ {s += $3 - $2} END {print s + 0}' <<<"$d")))
  done
  CPU_MS_PER_GB=$(awk -v t="$total" -v hz="$HZ" -v m="$MBPS" -v s="$T" \
    'BEGIN {gb = m * s / 8 / 1000; if (m == "n/a" || gb <= 0) print "n/a"; else printf "%.0f", t / hz * 1000 / gb}')
  log "  pair 1 $tag: $MBPS Mbit/s, $CPU_MS_PER_GB CPU ms/GB; CPU s per thread: $CPU_LINE"
}
measure_1pair r1f; F1=$MBPS; F1C=$CPU_MS_PER_GB; CPU_F=$CPU_LINE
measure_1pair r1r -R; R1=$MBPS; R1C=$CPU_MS_PER_GB; CPU_R=$CPU_LINE
ROWS+=("| gridmesh via relay, 1 pair | $F1 | $R1 | ${RTT:-n/a} | $F1C / $R1C | $LOAD1 |")
log "  relayed 1 pair: a->b $F1, b->a $R1 Mbit/s, RTT $RTT ms (load $LOAD1)"
if ((PROFILE)); then   # stop the recordings of pair 1 by stopping its JVMs' recording now (the relay's at exit)
  for ns in a1 b1; do
    jcmd_pid=$(pgrep -f -- "--state-dir $WORK/$ns" | head -1 || true)
    [ -n "$jcmd_pid" ] && "${JAVA%/java}/jcmd" "$jcmd_pid" JFR.dump filename="$JFR_DIR/agent-$ns.jfr" >/dev/null 2>&1 || true
  done
  relay_pid=$(pgrep -f -- "--state-dir $WORK/relay" | head -1 || true)
  [ -n "$relay_pid" ] && "${JAVA%/java}/jcmd" "$relay_pid" JFR.dump filename="$JFR_DIR/relay.jfr" >/dev/null 2>&1 || true
  log "  JFR recordings of the 1-pair test: $JFR_DIR"
fi

if ((PAIRS > 1)); then
  log "$PAIRS pairs: starting $((2 * (PAIRS - 1))) more agents"
  for i in $(seq 2 "$PAIRS"); do start_agent "a$i"; start_agent "b$i"; done
  wait_pairs 2 "$PAIRS"
  many() { # many TAG [-R]: PAIRS concurrent iperf3 runs; prints the sum of receiver Mbit/s
    local tag=$1 i; shift
    local -a pids=()
    for i in $(seq "$PAIRS"); do
      iperf_tcp "${P}b$i" "${P}a$i" "${IP_B[$i]}" "$T" "$tag$i" "$@" >"$WORK/sum-$tag$i" &
      pids+=($!)
    done
    wait "${pids[@]}" || true
    cat "$WORK"/sum-"$tag"* | awk '$1 != "n/a" {s += $1; k++} END {printf "%.0f (%d/%d streams)", s, k, NR}'
  }
  # the new agents' JIT warm-up, as pair 1 had: WARMUP s of iperf3 --bidir on every new pair at once
  log "  warm-up: ${WARMUP} s of iperf3 --bidir on pairs 2-$PAIRS at once"
  wpids=()
  for i in $(seq 2 "$PAIRS"); do
    in_ns "b$i" timeout $((WARMUP + 40)) iperf3 -s -1 -B "${IP_B[$i]}" >/dev/null 2>&1 &
    wpids+=($!)
  done
  for i in $(seq 2 "$PAIRS"); do
    wait_for "iperf3 server b$i" 20 in_ns "b$i" bash -c "ss -Hltn | grep -q '${IP_B[$i]}:5201 '" || true
    in_ns "a$i" timeout $((WARMUP + 30)) iperf3 -c "${IP_B[$i]}" -t "$WARMUP" --bidir --connect-timeout 5000 >/dev/null 2>&1 &
    wpids+=($!)
  done
  wait "${wpids[@]}" 2>/dev/null || true
  LOADN=$(cut -d' ' -f1-3 /proc/loadavg)
  FN=$(many mf)
  RN=$(many mr -R)
  ROWS+=("| gridmesh via relay, $PAIRS pairs at once (sum) | $FN | $RN | | | $LOADN |")
  log "  relayed $PAIRS pairs: a->b $FN, b->a $RN Mbit/s (load $LOADN)"
fi
# the relay's packet counters (relayed, dropped for a slow or missing destination) tell drops from slowness
COUNTERS=$(in_ns i curl -s --max-time 5 http://127.0.0.1:9465/metrics 2>/dev/null \
  | grep -iE '^gridmesh_relay_(packets_relayed|bytes_relayed|drops_total)' | grep -v ' 0.0$' \
  | sed 's/^gridmesh_relay_//' | tr '\n' ' ' || true)
log "  relay counters: ${COUNTERS:-n/a}"
RELAY_MEM=$(awk '/VmRSS/ {print $2 / 1024 " MiB"}' "/proc/$(pgrep -f -- "--state-dir $WORK/relay" | head -1)/status" 2>/dev/null || echo n/a)
stop_pids "${PIDS[@]}"; PIDS=()

# ------------------------------------------------------------------------------------------------ direct
log "direct gridmesh <-> gridmesh (wg-quick)"
mkns da; mkns db
veth da v-db 198.18.3.1/24 db v-da 198.18.3.2/24
KA=$(wg genkey); KB=$(wg genkey); PA=$(wg pubkey <<<"$KA"); PB=$(wg pubkey <<<"$KB")   # wireguard-tools
wgconf() { # wgconf PRIV ADDR PEERPUB PEERADDR PEERLAB
  cat <<CONF
[Interface]
PrivateKey = $1
Address = $2/24
ListenPort = 51820
MTU = 1420

[Peer]
PublicKey = $3
AllowedIPs = $4/32
Endpoint = $5:51820
CONF
}
install -m 600 /dev/null "$WORK/${P}ma.conf"; install -m 600 /dev/null "$WORK/${P}mb.conf"
wgconf "$KA" 100.64.0.1 "$PB" 100.64.0.2 198.18.3.2 >"$WORK/${P}ma.conf"
wgconf "$KB" 100.64.0.2 "$PA" 100.64.0.1 198.18.3.1 >"$WORK/${P}mb.conf"
gm da "$AGENT_HEAP -XX:+UseSerialGC" wg-quick up "$WORK/${P}ma.conf" >"$WORK/direct-a.log" 2>&1 &
PIDS+=($!)
gm db "$AGENT_HEAP -XX:+UseSerialGC" wg-quick up "$WORK/${P}mb.conf" >"$WORK/direct-b.log" 2>&1 &
PIDS+=($!)
wait_for "direct ping" 180 in_ns da ping -c1 -W1 -q 100.64.0.2
in_ns da timeout 30 iperf3 -c 100.64.0.2 -t 3 --connect-timeout 5000 >/dev/null 2>&1 &
warm=$!
in_ns db timeout 40 iperf3 -s -1 -B 100.64.0.2 >/dev/null 2>&1 || true
wait "$warm" || true
DRTT=$(in_ns da ping -c 20 -i 0.2 -q 100.64.0.2 | awk -F/ '/^rtt/ {print $5}')
LOADD=$(cut -d' ' -f1-3 /proc/loadavg)
DF=$(iperf_tcp "${P}db" "${P}da" 100.64.0.2 "$T" df)
DR=$(iperf_tcp "${P}db" "${P}da" 100.64.0.2 "$T" dr -R)
ROWS+=("| gridmesh <-> gridmesh direct (wg-quick, veth, no NAT) | $DF | $DR | ${DRTT:-n/a} | | $LOADD |")
log "  direct: a->b $DF, b->a $DR Mbit/s, RTT $DRTT ms"

cat <<TABLE

$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, kernel $(uname -r), $VERSION, iperf3 $(iperf3 --version | awk 'NR==1 {print $2}')
iperf3 TCP ${T} s per direction (a->b = client sends; b->a = iperf3 -R); RTT: mean of 20 pings; agent JVMs $AGENT_HEAP -XX:+UseSerialGC; relay RSS after the runs: $RELAY_MEM.
Relay counters at the end: ${COUNTERS:-n/a}
CPU ms per GB: CPU time of the relay and both agents (all threads but the JIT compilers) per GB carried, 1 pair.
CPU s per thread, 1 pair a->b: $CPU_F
CPU s per thread, 1 pair b->a: $CPU_R

| path | TCP a->b Mbit/s | TCP b->a (-R) Mbit/s | RTT ms | CPU ms per GB a->b / b->a | load average (1/5/15 min) |
|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")
TABLE
