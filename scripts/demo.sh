#!/usr/bin/env bash
# gridmesh demo: a small WireGuard mesh in network namespaces on this machine, run by `gridmesh wg-quick`.
#
#                         gm<run>inet  ("lab internet" router)
#                +-------------------------------------------+
#                | 198.18.1.1      198.18.2.1      198.18.3.1 |
#                +-----+---------------+---------------+------+
#                      |               |               |
#              198.18.1.2      198.18.2.2 (WAN)    198.18.3.2
#             +--------+---+   +-------+------+   +----+--------+
#             | gm<run>n1  |   | gm<run>nat   |   | gm<run>n3   |
#             | 100.64.0.1 |   | home router: |   | 100.64.0.3  |
#             +------------+   | MASQUERADE + |   +-------------+
#                              | firewall     |
#                              +-------+------+
#                                      | 198.18.20.1 (LAN)
#                              198.18.20.2
#                              +-------+------+
#                              | gm<run>n2    |  behind NAT: it dials the public nodes,
#                              | 100.64.0.2   |  they learn its NAT address from its packets
#                              +--------------+
#
# Usage: sudo scripts/demo.sh [--hold]    (--hold: keep the mesh up until Enter or Ctrl-C, to explore it)
# Lab addresses are 198.18.0.0/15 and overlay addresses 100.64.0.0/10 only; nothing leaves this machine.
# Everything it creates is removed on exit, Ctrl-C or error (trap). To add a step: write a step_NAME function
# and add NAME to STEPS below.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GRIDMESH="$ROOT/gridmesh"
HOLD=0
for arg in "$@"; do
  case "$arg" in
    --hold) HOLD=1 ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument: $arg (expected: --hold)" >&2; exit 2 ;;
  esac
done

STEPS=(preflight install_packages build lab_network keys configs start_nodes ping_mesh show_peers relay_mesh direct_path ssh_tunnel)

C=abcdefghijklmnopqrstuvwxyz0123456789
RUN=${C:RANDOM%26:1}${C:RANDOM%36:1}${C:RANDOM%36:1}${C:RANDOM%36:1}
P="gm$RUN"                      # prefix of every namespace and interface of this run
WORK=$(mktemp -d "/tmp/gridmesh-demo.$RUN.XXXX")
NODES=(n1 n2 n3)
declare -A OVERLAY=([n1]=100.64.0.1 [n2]=100.64.0.2 [n3]=100.64.0.3)
declare -A LAB_IP=([n1]=198.18.1.2 [n2]=198.18.20.2 [n3]=198.18.3.2)
declare -A PUBLIC=([n1]=1 [n2]=0 [n3]=1)   # reachable from the lab internet without NAT
declare -A PRIV PUB PID
PORT=51820

# ---------------------------------------------------------------------------------------------- helpers
bold() { printf '\033[1m%s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$*"; }
run() { printf '    $ %s\n' "$*"; "$@"; }
in_ns() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }
gm() { "$GRIDMESH" "$@"; }
# wait_for DESCRIPTION SECONDS COMMAND...: bounded poll, 0.2 s apart
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then echo "demo.sh: timed out after ${secs}s waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  echo
  bold "==> Cleaning up (namespaces $P*, processes, $WORK)"
  for n in "${!PID[@]}"; do kill "${PID[$n]}" 2>/dev/null || true; done
  for n in "${!PID[@]}"; do
    for _ in $(seq 50); do kill -0 "${PID[$n]}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${PID[$n]}" 2>/dev/null || true
  done
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f "/run/gridmesh/$P"*.sock "/run/gridmesh-lab/$P"
  if ((rc != 0)) && [ -d "$WORK" ]; then
    echo "demo.sh: failed (exit $rc); node logs:" >&2
    for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  fi
  rm -rf "$WORK"
  say "left: $(ip netns list 2>/dev/null | grep -c "^$P" || true) namespaces of this run"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------- steps
step_preflight() {
  bold "==> Checking that this can run"
  if [ "$(id -u)" != 0 ]; then echo "demo.sh: needs root (network namespaces, TUN devices): sudo $0" >&2; exit 1; fi
  [ -e /dev/net/tun ] || { echo "demo.sh: /dev/net/tun is missing: no TUN support here" >&2; exit 1; }
  say "root: yes; /dev/net/tun: present; run id: $RUN (namespaces $P*)"
  # register this run so that a later lab run sweeps it if this shell is killed outright
  mkdir -p /run/gridmesh-lab
  echo "$$ $(awk '{print $22}' "/proc/$$/stat")" >"/run/gridmesh-lab/$P"
}

step_install_packages() {
  bold "==> Installing missing Debian packages"
  local need=() cmd pkg
  for pair in ip:iproute2 iptables:iptables ping:iputils-ping conntrack:conntrack mvn:maven; do
    cmd=${pair%%:*}; pkg=${pair##*:}
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
  done
  if ((${#need[@]} == 0)); then say "all present (iproute2, iptables, iputils-ping, conntrack, maven)"; return; fi
  say "missing: ${need[*]}"
  run apt-get update -qq
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
}

step_build() {
  bold "==> Building gridmesh (./gridmesh builds on first use; takes a few minutes the first time)"
  run "$GRIDMESH" --version
}

step_lab_network() {
  bold "==> Creating the lab: a 'lab internet' router, a home NAT router, three nodes"
  local ns
  for ns in inet nat n1 n2 n3; do
    run ip netns add "$P$ns"
    in_ns "$ns" ip link set lo up
  done
  # veth A(ns1) <-> B(ns2): link NS1 IF1 CIDR1 NS2 IF2 CIDR2
  link() {
    run ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
    in_ns "$1" ip addr add "$3" dev "$2"; in_ns "$1" ip link set "$2" up
    in_ns "$4" ip addr add "$6" dev "$5"; in_ns "$4" ip link set "$5" up
  }
  link inet v-n1 198.18.1.1/24 n1 v-inet 198.18.1.2/24
  link inet v-nat 198.18.2.1/24 nat wan 198.18.2.2/24
  link inet v-n3 198.18.3.1/24 n3 v-inet 198.18.3.2/24
  link nat lan 198.18.20.1/24 n2 v-nat 198.18.20.2/24
  in_ns inet sysctl -qw net.ipv4.ip_forward=1
  in_ns n1 ip route add default via 198.18.1.1
  in_ns n3 ip route add default via 198.18.3.1
  in_ns n2 ip route add default via 198.18.20.1
  in_ns nat ip route add default via 198.18.2.1
  say "home router $P""nat: MASQUERADE LAN->WAN, drop unsolicited inbound (forwarded and to itself)"
  in_ns nat sysctl -qw net.ipv4.ip_forward=1
  in_ns nat iptables -t nat -A POSTROUTING -s 198.18.20.0/24 -o wan -j MASQUERADE
  in_ns nat iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns nat iptables -A FORWARD -i wan -o lan -j DROP
  in_ns nat iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  in_ns nat iptables -A INPUT -i wan -j DROP
  say "n2 (behind NAT) can reach n1: $(in_ns n2 ping -c1 -W1 -q 198.18.1.2 >/dev/null && echo yes || echo no);" \
      "n1 can reach n2 directly: $(in_ns n1 ping -c1 -W1 -q 198.18.20.2 >/dev/null 2>&1 && echo yes || echo 'no (NAT)')"
}

step_keys() {
  bold "==> Generating a key pair per node (gridmesh keygen | gridmesh pubkey)"
  local n
  for n in "${NODES[@]}"; do
    PRIV[$n]=$(gm keygen)
    PUB[$n]=$(gm pubkey <<<"${PRIV[$n]}")
    say "$n  public key ${PUB[$n]}"
  done
}

step_configs() {
  bold "==> Writing wg-quick configs (interface name = file name)"
  local n m f
  for n in "${NODES[@]}"; do
    f="$WORK/$P$n.conf"
    {
      echo "[Interface]"
      echo "PrivateKey = ${PRIV[$n]}"
      echo "Address = ${OVERLAY[$n]}/24"
      echo "ListenPort = $PORT"
      for m in "${NODES[@]}"; do
        [ "$m" = "$n" ] && continue
        echo
        echo "[Peer]  # $m"
        echo "PublicKey = ${PUB[$m]}"
        echo "AllowedIPs = ${OVERLAY[$m]}/32"
        # only public peers have a known endpoint; the NATed node is learnt from its packets
        if [ "${PUBLIC[$m]}" = 1 ]; then echo "Endpoint = ${LAB_IP[$m]}:$PORT"; fi
        # the NATed node keeps its NAT mapping open
        if [ "${PUBLIC[$n]}" = 0 ]; then echo "PersistentKeepalive = 25"; fi
      done
    } >"$f"
    chmod 600 "$f"
    say "$f:"; sed 's/^PrivateKey = .*/PrivateKey = (hidden)/; s/^/        /' "$f"
  done
}

step_start_nodes() {
  bold "==> Starting one 'gridmesh wg-quick up' per node (foreground processes, logs in $WORK)"
  local n
  for n in "${NODES[@]}"; do
    printf '    $ ip netns exec %s gridmesh wg-quick up %s &\n' "$P$n" "$WORK/$P$n.conf"
    in_ns "$n" "$GRIDMESH" wg-quick up "$WORK/$P$n.conf" >"$WORK/$n.log" 2>&1 &
    PID[$n]=$!
  done
  for n in "${NODES[@]}"; do
    wait_for "$n's interface $P$n" 60 in_ns "$n" "$GRIDMESH" wg-quick show "$P$n"
    say "$n: interface $P$n is up ($(in_ns "$n" ip -br addr show "$P$n" | awk '{print $3}'))"
  done
}

step_ping_mesh() {
  bold "==> Pinging across the mesh over overlay addresses"
  ping_pair() {
    local from=$1 to=$2
    printf '    %-4s -> %-4s (%s): ' "$from" "$to" "${OVERLAY[$to]}"
    # the first packets wait for the handshake: allow a few seconds, bounded
    if wait_for "ping $from -> $to" 15 in_ns "$from" ping -c1 -W1 -q "${OVERLAY[$to]}"; then
      in_ns "$from" ping -c3 -i0.2 -q "${OVERLAY[$to]}" | awk -F/ '/rtt/ {print "ok, rtt avg " $5 " ms"}'
    else
      echo "FAILED"; return 1
    fi
  }
  say "n2 is behind NAT: it dials first, then the public nodes answer through the NAT mapping"
  ping_pair n2 n1
  ping_pair n2 n3
  ping_pair n1 n3
  ping_pair n1 n2
  ping_pair n3 n2
}

step_show_peers() {
  bold "==> gridmesh wg-quick show, on n1 (public) and n2 (behind NAT)"
  local n
  for n in n1 n2; do
    printf '    $ ip netns exec %s gridmesh wg-quick show %s\n' "$P$n" "$P$n"
    in_ns "$n" "$GRIDMESH" wg-quick show "$P$n" | sed 's/^/        /'
  done
  say "n1 sees n2 at the NAT router's WAN address 198.18.2.2, not at 198.18.20.2"
}

# ---------------------------------------------------------------------------------------------- relay stage (issue 3)
# Agents behind the worst NATs join one mesh through `gridmesh relay`; nothing but the relay can carry their traffic.
#
#   gm<run>ra ---- gm<run>rnat1 ----+                        +---- gm<run>rnat2 ---- gm<run>rb
#   agent worker-a  MASQUERADE       |   gm<run>rinet         |   MASQUERADE         agent worker-b
#   198.18.101.2    --random-fully   +-- gridmesh relay :8443-+   --random-fully     198.18.102.2
#                   198.18.111.2         198.18.111.1 / 198.18.112.1 (UDP forwarding dropped)
RELAY_PORT=8443

step_relay_mesh() {
  bold "==> Relay stage: a relay on the lab internet, two agents behind symmetric NATs, UDP between them dropped"
  local ns
  for ns in rinet rnat1 rnat2 ra rb; do
    ip netns add "$P$ns"
    in_ns "$ns" ip link set lo up
  done
  rlink() {
    ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
    in_ns "$1" ip addr add "$3" dev "$2"; in_ns "$1" ip link set "$2" up
    in_ns "$4" ip addr add "$6" dev "$5"; in_ns "$4" ip link set "$5" up
  }
  rlink ra v-nat 198.18.101.2/24 rnat1 lan 198.18.101.1/24
  rlink rnat1 wan 198.18.111.2/24 rinet v-nat1 198.18.111.1/24
  rlink rb v-nat 198.18.102.2/24 rnat2 lan 198.18.102.1/24
  rlink rnat2 wan 198.18.112.2/24 rinet v-nat2 198.18.112.1/24
  in_ns ra ip route add default via 198.18.101.1
  in_ns rb ip route add default via 198.18.102.1
  in_ns rnat1 ip route add default via 198.18.111.1
  in_ns rnat2 ip route add default via 198.18.112.1
  local i
  for i in 1 2; do
    in_ns "rnat$i" sysctl -qw net.ipv4.ip_forward=1
    in_ns "rnat$i" iptables -t nat -A POSTROUTING -s "198.18.10$i.0/24" -o wan -j MASQUERADE --random-fully
    in_ns "rnat$i" iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    in_ns "rnat$i" iptables -A FORWARD -i wan -o lan -j DROP
    in_ns "rnat$i" iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    in_ns "rnat$i" iptables -A INPUT -i wan -j DROP
  done
  in_ns rinet sysctl -qw net.ipv4.ip_forward=1
  in_ns rinet iptables -A FORWARD -p udp -j DROP
  say "NATs: MASQUERADE --random-fully (endpoint-dependent) + home-router firewall; internet drops forwarded UDP"

  printf '    $ ip netns exec %s gridmesh relay --state-dir %s --listen :%s --stun-listen :3478 &\n' \
      "${P}rinet" "$WORK/relay" "$RELAY_PORT"
  in_ns rinet "$GRIDMESH" relay --state-dir "$WORK/relay" --listen ":$RELAY_PORT" --stun-listen :3478 \
      >"$WORK/relay.log" 2>&1 &
  PID[relay]=$!
  wait_for "the relay to listen" 60 grep -q 'certificate pin' "$WORK/relay.log"
  sed 's/^/        /' <(grep '^relay:' "$WORK/relay.log")
  local pin token
  pin=$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/relay.log" | head -1)
  printf '    $ gridmesh relay token create --reusable --expires 1h --state-dir %s\n' "$WORK/relay"
  token=$(in_ns rinet "$GRIDMESH" relay token create --reusable --expires 1h --state-dir "$WORK/relay")
  say "token: ${token:0:8}... (shown once; stored hashed by the relay)"

  local a
  declare -A SERVER=([ra]=198.18.111.1 [rb]=198.18.112.1) NAME=([ra]=worker-a [rb]=worker-b)
  for a in ra rb; do
    printf '    $ ip netns exec %s gridmesh agent --server %s:%s --pin %s --token ... --hostname %s --state-dir %s &\n' \
        "$P$a" "${SERVER[$a]}" "$RELAY_PORT" "${pin:0:15}..." "${NAME[$a]}" "$WORK/$a"
    in_ns "$a" "$GRIDMESH" agent --server "${SERVER[$a]}:$RELAY_PORT" --pin "$pin" --token "$token" \
        --hostname "${NAME[$a]}" --state-dir "$WORK/$a" --tun gm0 >"$WORK/agent-$a.log" 2>&1 &
    PID[$a]=$!
  done
  for a in ra rb; do
    wait_for "agent ${NAME[$a]} to connect" 90 bash -c \
        "'$GRIDMESH' status --json --state-dir '$WORK/$a' | grep -q '\"connection\":\"CONNECTED\"'"
  done
  wait_for "both agents online at the relay" 30 bash -c \
      "[ \$(ip netns exec ${P}rinet '$GRIDMESH' relay nodes --json --state-dir '$WORK/relay' | grep -o '\"online\":true' | wc -l) = 2 ]"

  bold "==> gridmesh relay nodes (on the relay's host)"
  in_ns rinet "$GRIDMESH" relay nodes --state-dir "$WORK/relay" | sed 's/^/        /'
  bold "==> gridmesh status (on worker-a, through its local socket)"
  "$GRIDMESH" status --state-dir "$WORK/ra" | sed 's/^/        /'

  bold "==> Ping over the mesh, via the relay (no UDP path exists between the NATs)"
  local ipa ipb
  ipa=$("$GRIDMESH" status --json --state-dir "$WORK/ra" | grep -o '"overlayIp":"[0-9.]*"' | head -1 | cut -d'"' -f4)
  ipb=$("$GRIDMESH" status --json --state-dir "$WORK/rb" | grep -o '"overlayIp":"[0-9.]*"' | head -1 | cut -d'"' -f4)
  printf '    worker-a (%s) -> worker-b (%s): ' "$ipa" "$ipb"
  if wait_for "ping worker-a -> worker-b" 20 in_ns ra ping -c1 -W1 -q "$ipb"; then
    in_ns ra ping -c5 -i0.2 -q "$ipb" | awk -F/ '/rtt/ {print "ok, rtt avg " $5 " ms"}'
  else
    echo "FAILED"; return 1
  fi
  printf '    worker-b (%s) -> worker-a (%s): ' "$ipb" "$ipa"
  in_ns rb ping -c3 -i0.2 -q "$ipa" | awk -F/ '/rtt/ {print "ok, rtt avg " $5 " ms"}'
  say "path: $("$GRIDMESH" status --json --state-dir "$WORK/ra" | grep -o '"path":"[a-z]*"' | head -1)"
}

# ---------------------------------------------------------------------------------------------- direct path (issue 4)
# The same two agents; the NATs become easy home routers (MASQUERADE, endpoint-independent) and the internet lets UDP
# through again while `gridmesh ping` runs: the path turns from the relay to a direct UDP endpoint, the WireGuard
# session unchanged.
step_direct_path() {
  bold "==> Direct path: both NATs become easy (MASQUERADE + firewall), the agents restart and discover endpoints"
  local i a
  for i in 1 2; do
    in_ns "rnat$i" iptables -t nat -F POSTROUTING
    in_ns "rnat$i" iptables -t nat -A POSTROUTING -s "198.18.10$i.0/24" -o wan -j MASQUERADE
    in_ns "rnat$i" conntrack -F >/dev/null 2>&1 || true
  done
  declare -A SERVER=([ra]=198.18.111.1 [rb]=198.18.112.1) NAME=([ra]=worker-a [rb]=worker-b)
  for a in ra rb; do
    kill "${PID[$a]}" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "${PID[$a]}" 2>/dev/null || break; sleep 0.1; done
  done
  for a in ra rb; do
    printf '    $ ip netns exec %s gridmesh agent --server %s:%s --pin ... --hostname %s --state-dir %s &\n' \
        "$P$a" "${SERVER[$a]}" "$RELAY_PORT" "${NAME[$a]}" "$WORK/$a"
    in_ns "$a" "$GRIDMESH" agent --server "${SERVER[$a]}:$RELAY_PORT" \
        --pin "$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/relay.log" | head -1)" \
        --hostname "${NAME[$a]}" --state-dir "$WORK/$a" --tun gm0 >>"$WORK/agent-$a.log" 2>&1 &
    PID[$a]=$!
  done
  for a in ra rb; do
    wait_for "agent ${NAME[$a]} to see its peer online" 90 bash -c \
        "'$GRIDMESH' status --json --state-dir '$WORK/$a' | grep -q '\"online\":true'"
  done
  bold "==> gridmesh netcheck (on worker-a)"
  "$GRIDMESH" netcheck --state-dir "$WORK/ra" | sed 's/^/        /'
  bold "==> gridmesh ping worker-b -c 5: UDP between the NATs is still dropped, so the path is the relay"
  "$GRIDMESH" ping worker-b -c 5 --state-dir "$WORK/ra" | sed 's/^/        /' || true
  bold "==> The lab internet forwards UDP again: the agents punch through both NATs and switch to a direct path"
  in_ns rinet iptables -D FORWARD -p udp -j DROP
  # failed punches while UDP was dropped back off (5 s doubling, at most 60 s); a ping also asks for a punch
  local deadline=$((SECONDS + 90))
  until "$GRIDMESH" status --json --state-dir "$WORK/ra" | grep -q '"path":"direct"'; do
    if ((SECONDS >= deadline)); then echo "demo.sh: worker-a's path to worker-b did not turn direct in 90 s" >&2; return 1; fi
    "$GRIDMESH" ping worker-b -c 1 --state-dir "$WORK/ra" >/dev/null 2>&1 || true
    sleep 1
  done
  bold "==> gridmesh ping worker-b -c 5: now direct"
  "$GRIDMESH" ping worker-b -c 5 --state-dir "$WORK/ra" | sed 's/^/        /' || true
  bold "==> gridmesh status (on worker-a): the peer's path"
  "$GRIDMESH" status --state-dir "$WORK/ra" | sed 's/^/        /'
  local ipb path
  ipb=$("$GRIDMESH" status --json --state-dir "$WORK/rb" | grep -o '"overlayIp":"[0-9.]*"' | head -1 | cut -d'"' -f4)
  path=$("$GRIDMESH" status --json --state-dir "$WORK/ra" | grep -o '"path":"[a-z]*"' | head -1 | cut -d'"' -f4)
  printf '    ICMP worker-a -> worker-b (%s), path %s: ' "$ipb" "$path"
  in_ns ra ping -c5 -i0.2 -q "$ipb" | awk -F/ '/rtt/ {print "ok, rtt avg " $5 " ms"}'
}

# ---------------------------------------------------------------------------------------------- ssh tunnel (issue 5)
# An engineer's laptop with no agent reaches worker-b's sshd (127.0.0.1:22, behind its NAT) through the relay.
#
#   gm<run>reng (engineer, no agent) 198.18.130.2 ---- 198.18.130.1 gm<run>rinet (relay) <== worker-b's agent connection
step_ssh_tunnel() {
  bold "==> SSH tunnel: an engineer with no agent runs gridmesh ssh to worker-b (sshd on its loopback, behind a NAT)"
  ip netns add "${P}reng"
  in_ns reng ip link set lo up
  ip link add v-inet netns "${P}reng" type veth peer name v-eng netns "${P}rinet"
  in_ns reng ip addr add 198.18.130.2/24 dev v-inet; in_ns reng ip link set v-inet up
  in_ns rinet ip addr add 198.18.130.1/24 dev v-eng; in_ns rinet ip link set v-eng up
  in_ns reng ip route add default via 198.18.130.1
  local sshd="$WORK/sshd" home="$WORK/engineer"
  mkdir -p "$sshd/home" "$home" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$sshd/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -f "$home/id_ed25519"
  cp "$home/id_ed25519.pub" "$sshd/authorized_keys"
  printf '%s\n' "Port 22" "ListenAddress 127.0.0.1" "HostKey $sshd/host_ed25519" "PidFile $sshd/sshd.pid" "UsePAM no" \
      "PermitRootLogin prohibit-password" "AuthorizedKeysFile $sshd/authorized_keys" "StrictModes no" \
      "PasswordAuthentication no" "KbdInteractiveAuthentication no" "SetEnv HOME=$sshd/home" >"$sshd/sshd_config"
  say "worker-b: /usr/sbin/sshd -D -e -f $sshd/sshd_config (listens on 127.0.0.1:22 only; its agent allows port 22 by default)"
  in_ns rb /usr/sbin/sshd -D -e -f "$sshd/sshd_config" >"$WORK/sshd.log" 2>&1 &
  PID[sshd]=$!

  bold "==> On the relay's host: a user, a token, a policy"
  printf '    $ gridmesh relay user create alice --group ops --state-dir %s\n' "$WORK/relay"
  in_ns rinet "$GRIDMESH" relay user create alice --group ops --state-dir "$WORK/relay" | sed 's/^/        /'
  local utoken pin
  printf '    $ gridmesh relay user token alice --state-dir %s\n' "$WORK/relay"
  utoken=$(in_ns rinet "$GRIDMESH" relay user token alice --state-dir "$WORK/relay" 2>/dev/null)
  say "token for alice: ${utoken:0:13}... (shown once; stored hashed)"
  printf 'allow group:ops node:worker-b 22\n' >"$WORK/relay/tunnel-policy"
  say "$WORK/relay/tunnel-policy: allow group:ops node:worker-b 22"
  pin=$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/relay.log" | head -1)

  bold "==> On the engineer's laptop (no agent): login, ssh-config, ssh"
  printf '    $ gridmesh login --server 198.18.130.1:%s --pin %s --token ...\n' "$RELAY_PORT" "${pin:0:15}..."
  HOME="$home" in_ns reng "$GRIDMESH" login --server "198.18.130.1:$RELAY_PORT" --pin "$pin" --token "$utoken" | sed 's/^/        /'
  printf '    $ gridmesh ssh-config\n'
  HOME="$home" in_ns reng "$GRIDMESH" ssh-config | cut -c1-110 | sed 's/^/        /'
  local opts=(-i "$home/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR)
  printf "    \$ gridmesh ssh root@worker-b 'echo ...; exit 3'\n"
  local out rc=0
  out=$(HOME="$home" in_ns reng "$GRIDMESH" ssh "${opts[@]}" root@worker-b \
      'echo "hello from worker-b, addresses: $(hostname -I)"; exit 3') || rc=$?
  printf '%s\n' "$out" | sed 's/^/        /'
  say "exit code: $rc (the remote command's, through ssh)"
  if ((rc != 3)); then echo "demo.sh: gridmesh ssh returned $rc (expected 3)" >&2; return 1; fi
  printf '    $ gridmesh tunnel worker-b 8080 < /dev/null   (a port the policy does not grant)\n'
  HOME="$home" in_ns reng "$GRIDMESH" tunnel worker-b 8080 </dev/null 2>&1 | sed 's/^/        /' || true
  bold "==> The relay's session log"
  sed 's/^/        /' "$WORK/relay/tunnel-sessions.log"
}

# ---------------------------------------------------------------------------------------------- main
for s in "${STEPS[@]}"; do "step_$s"; echo; done
bold "==> Demo done: the mesh works."
if ((HOLD)); then
  say "Holding the lab up. Try: ip netns exec ${P}n1 ping ${OVERLAY[n2]}   (Enter or Ctrl-C to tear down)"
  read -r _ || true
fi
