#!/usr/bin/env bash
# Lab benchmark: SSH to a worker behind a NAT, four ways, in the same run; prints a markdown table of connection
# setup (`ssh ... true`, median of RUNS) and bulk throughput (`head -c BULK_MIB MiB /dev/zero | ssh ... 'cat >/dev/null'`).
#
#   gm<run>w worker              gm<run>n NAT                 gm<run>j "jump"/relay host            gm<run>e engineer
#   sshd 127.0.0.1:22            MASQUERADE --random-fully   gridmesh relay :8443                  ssh, gridmesh (no agent)
#   gridmesh agent               + home firewall             sshd 198.18.40.1:22 (for ssh -R)
#   ssh -N -R 2222:localhost:22                              socat 7001<->7002 joiner
#   socat loop -> jump:7002
#   198.18.41.2/24 ---- 198.18.41.1 | 198.18.40.2 ---- 198.18.40.1   198.18.42.1 ---- 198.18.42.2/24
#
# Rows: gridmesh ssh through the ProxyCommand of `gridmesh ssh-config` run by the bash launcher, warm (the per-user
# tunnel helper runs: the launcher's fast path, no JVM start) and cold (GRIDMESH_TUNNEL_PERSIST=0: the Java line, one
# JVM start per connection, as before the helper); then the `gridmesh ssh` command itself, warm (the launcher builds
# the ssh line in bash) and cold (one more JVM start before ssh); gridmesh forward (a running `gridmesh forward`,
# ssh to 127.0.0.1: the tunnel's own setup without JVM start), OpenSSH reverse forwarding through the jump host
# (worker `ssh -N -R 2222:localhost:22 jump`, engineer `ssh -J jump -p 2222 localhost`), and a plain socat relay on
# the jump host joining the engineer's connection to an outbound connection of the worker.
# After the table: `gridmesh tunnel worker 22` alone (the ssh-config ProxyCommand line, warm and cold) from its start
# to the first byte of the SSH banner, with its CPU time, and the same lines moving BULK_MIB MiB into a sink on the
# worker (127.0.0.1:9009, allowed by the agent and the policy): the client's own bulk cost without ssh's (warm: the
# launcher's two cats plus the helper JVM's CPU). The warm first-byte runs follow 20 unmeasured ones (the helper's
# JIT warms up as over a working day); the first run, which starts the helper, is reported on its own.
# Usage: sudo benchmarks/lab/tunnel.sh   (root; a few minutes)   Env: RUNS (5), BULK_MIB (100), GRIDMESH_LIB=DIR,
#   WARM_MIB (300: MiB pushed through the warm gridmesh paths before the sink lines and the table, not measured).
# Compare rows within one run only: everything shares the box. Namespaces, processes and files go on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
RUNS=${RUNS:-5}
BULK_MIB=${BULK_MIB:-100}
WARM_MIB=${WARM_MIB:-300}
C=abcdefghijklmnopqrstuvwxyz0123456789
RUN=${C:RANDOM%26:1}${C:RANDOM%36:1}${C:RANDOM%36:1}${C:RANDOM%36:1}
P="gm$RUN"
WORK=$(mktemp -d "/tmp/gridmesh-tunnelbench.$RUN.XXXX")
PIDS=()
ROWS=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  helper_stop
  stop_pids "${PIDS[@]}" 2>/dev/null || true
  del_run_netns
  ((rc == 0)) || { log "tunnel.sh: failed (exit $rc); logs:"; for f in "$WORK"/*.log; do [ -f "$f" ] && { log "--- $f"; tail -n 15 "$f" >&2; }; done; }
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run a private copy of the built jars (GRIDMESH_LIB, default cli/target/dist/lib): never the launcher's rebuild
private_cli gridmesh-java # the jars under test, copied (lib.sh)
GRIDMESH="$WORK/gridmesh-java"
# the engineer runs the real bash launcher, laid out as a distribution ($WORK/gridmesh beside $WORK/lib): its tunnel
# fast path and the tunnel helper it starts are what the warm rows measure
cp "$ROOT/gridmesh" "$WORK/gridmesh"
chmod +x "$WORK/gridmesh"
ENG="$WORK/gridmesh"
helper_stop() { [ -z "${HOME_ENG:-}" ] || HOME=$HOME_ENG GRIDMESH_NO_CDS=1 ip netns exec "${P}e" "$ENG" tunnel-daemon --stop >/dev/null 2>&1 || true; }

tunnel_lab # namespaces, links, the NAT, ssh keys and sshd configs (lib.sh)
in_ns w /usr/sbin/sshd -D -e -f "$WORK/worker_sshd_config" >"$WORK/sshd-worker.log" 2>&1 & PIDS+=($!)
in_ns j /usr/sbin/sshd -D -e -f "$WORK/jump_sshd_config" >"$WORK/sshd-jump.log" 2>&1 & PIDS+=($!)
SSHO=(-i "$WORK/eng_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR)

# gridmesh: relay on the jump host, agent on the worker, engineer logged in
in_ns j "$GRIDMESH" relay --state-dir "$WORK/relay" --listen 0.0.0.0:8443 >"$WORK/relay.log" 2>&1 & PIDS+=($!)
wait_for "relay" 90 grep -q 'certificate pin' "$WORK/relay.log"
PIN=$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/relay.log" | head -1)
JOIN=$(in_ns j "$GRIDMESH" relay token create --state-dir "$WORK/relay")
in_ns w "$GRIDMESH" agent --server 198.18.40.1:8443 --pin "$PIN" --token "$JOIN" --hostname worker \
  --state-dir "$WORK/agent" --tun gm0 --allow-port 22,9009 >"$WORK/agent.log" 2>&1 & PIDS+=($!)
# a sink on the worker's loopback: the tunnel client's own bulk cost, without ssh's
in_ns w socat -u TCP-LISTEN:9009,bind=127.0.0.1,fork,reuseaddr OPEN:/dev/null >"$WORK/sink.log" 2>&1 & PIDS+=($!)
wait_for "agent" 90 grep -q 'agent: node' "$WORK/agent.log"
in_ns j "$GRIDMESH" relay user create eng --state-dir "$WORK/relay" >/dev/null
UTOKEN=$(in_ns j "$GRIDMESH" relay user token eng --state-dir "$WORK/relay" 2>/dev/null)
echo "allow user:eng node:worker 22,9009" >"$WORK/relay/tunnel-policy"
export HOME_ENG="$WORK/eng"
mkdir -p "$HOME_ENG"
HOME=$HOME_ENG in_ns e "$ENG" login --server 198.18.42.1:8443 --pin "$PIN" --token "$UTOKEN" >/dev/null
HOME=$HOME_ENG in_ns e "$ENG" ssh-config >"$WORK/ssh_config"                                     # the launcher's line
HOME=$HOME_ENG GRIDMESH_TUNNEL_PERSIST=0 in_ns e "$ENG" ssh-config >"$WORK/ssh_config_cold"      # the Java line
HOME=$HOME_ENG in_ns e "$GRIDMESH" forward 0:worker:22 >"$WORK/forward.log" 2>&1 & PIDS+=($!)
wait_for "forward" 60 grep -q '^forwarding' "$WORK/forward.log"
FWD=$(sed -n 's/^forwarding 127.0.0.1:\([0-9]*\) .*/\1/p' "$WORK/forward.log")

# ssh -R through the jump host
in_ns w ssh -i "$WORK/worker_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
  -o ExitOnForwardFailure=yes -o ServerAliveInterval=5 -N -R 2222:localhost:22 root@198.18.40.1 >"$WORK/ssh-R.log" 2>&1 & PIDS+=($!)
wait_for "ssh -R" 30 in_ns j bash -c "ss -Hltn | grep -q '127.0.0.1:2222 '"

# socat relay: jump joins engineer :7001 with the worker's outbound connection to :7002 (one pair per session)
in_ns j bash -c 'while true; do socat TCP-LISTEN:7001,bind=198.18.42.1,reuseaddr,nodelay TCP-LISTEN:7002,bind=198.18.40.1,reuseaddr,nodelay; done' >"$WORK/socat-j.log" 2>&1 & PIDS+=($!)
in_ns w bash -c 'while true; do socat TCP:198.18.40.1:7002,retry=1000,interval=0.02,nodelay TCP:127.0.0.1:22,nodelay; sleep 0.01; done' >"$WORK/socat-w.log" 2>&1 & PIDS+=($!)

# measure NAME CMD...: CMD is an ssh command line prefix that ends where the remote command goes
measure() {
  local name=$1; shift
  local t ms=() i
  for i in $(seq "$RUNS"); do
    t=$(date +%s%N)
    HOME=$HOME_ENG timeout 60 ip netns exec "${P}e" "$@" true
    ms+=($(( ($(date +%s%N) - t) / 1000000 )))
  done
  local med
  med=$(printf '%s\n' "${ms[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  t=$(date +%s%N)
  head -c "${BULK_MIB}M" /dev/zero | HOME=$HOME_ENG timeout 600 ip netns exec "${P}e" "$@" 'cat > /dev/null'
  local s; s=$(( $(date +%s%N) - t ))
  local mbit; mbit=$(awk -v b=$((BULK_MIB * 1048576)) -v ns="$s" 'BEGIN {printf "%.0f", b * 8 / (ns / 1e9) / 1e6}')
  ROWS+=("| $name | $med | $mbit |")
  log "$name: setup median ${med} ms (runs: ${ms[*]}), bulk ${mbit} Mbit/s"
}
# gridmesh tunnel alone: the ProxyCommand line of ssh-config, from its start to the first 4 bytes of the worker's
# SSH banner ("SSH-"), median of RUNS, and the CPU time (user+sys) of that process; the first run (which may write
# the AppCDS archive of the ProxyCommand) reported separately.
PROXY=$(sed -n 's/^ *ProxyCommand //p' "$WORK/ssh_config" | sed 's/%h %p$/worker 22/')
PROXY_COLD=$(sed -n 's/^ *ProxyCommand //p' "$WORK/ssh_config_cold" | sed 's/%h %p$/worker 22/')
first_byte() { # LINE [ENV=V]: prints "MS CPU_MS" for one run of LINE
  HOME=$HOME_ENG timeout 60 env ${2:-} ip netns exec "${P}e" python3 -c '
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[1], shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
b = p.stdout.read(4)
dt = time.perf_counter() - t
p.stdin.close(); p.stdout.read(); p.wait()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
if b != b"SSH-": sys.exit("no SSH banner: %r" % b)
print("%d %d" % (dt * 1000, (r.ru_utime + r.ru_stime) * 1000))' "$1"
}
# first_bytes NAME LINE [ENV=V] [WARMUP]: the first run alone (it may write an AppCDS archive or start the helper),
# WARMUP runs not counted (the helper's JIT warms up as it would over a working day), then RUNS
first_bytes() {
  local name=$1 line=$2 first ms cpu fb=() fcpu=() i
  first=$(first_byte "$line" "${3:-}")
  for i in $(seq "${4:-0}"); do first_byte "$line" "${3:-}" >/dev/null; done
  for i in $(seq "$RUNS"); do read -r ms cpu < <(first_byte "$line" "${3:-}"); fb+=("$ms"); fcpu+=("$cpu"); done
  local med cmed
  med=$(printf '%s\n' "${fb[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  cmed=$(printf '%s\n' "${fcpu[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  log "gridmesh tunnel worker 22 ($name) -> first byte: first run ${first% *} ms (cpu ${first#* } ms); then median ${med} ms (runs: ${fb[*]}), cpu median ${cmed} ms (runs: ${fcpu[*]})"
  FB_LINES+=("$(printf '`gridmesh tunnel worker 22` (%s) start to the first byte of the SSH banner: median %s ms, CPU (user+sys) median %s ms, first run %s ms (CPU %s ms)' \
    "$name" "$med" "$cmed" "${first%% *}" "${first#* }")")
}
FB_LINES=()
helper_stop # cold: no helper, no fast path
first_bytes "cold: GRIDMESH_TUNNEL_PERSIST=0, a JVM per connection" "$PROXY_COLD" GRIDMESH_TUNNEL_PERSIST=0
# warm: the first run of the launcher's line goes the JVM path and starts the helper; the RUNS after it are the fast path
first_bytes "warm: the launcher's fast path through the tunnel helper, no JVM" "$PROXY" "" 20
# steady state, as a relay, an agent, a running forward and the helper are over a working day: WARM_MIB MiB of ssh
# upload through the helper's ProxyCommand and through forward first, not measured (the JIT of relay, agent, helper
# and forward); OpenSSH's processes are native. The cold rows and lines below still start their JVMs per connection.
if ((WARM_MIB > 0)); then
  log "warm-up: ${WARM_MIB} MiB through the helper's ProxyCommand and through forward (not measured)"
  head -c "${WARM_MIB}M" /dev/zero | HOME=$HOME_ENG timeout 600 ip netns exec "${P}e" ssh -F "$WORK/ssh_config" "${SSHO[@]}" root@worker 'cat > /dev/null'
  head -c "${WARM_MIB}M" /dev/zero | HOME=$HOME_ENG timeout 600 ip netns exec "${P}e" ssh "${SSHO[@]}" -p "$FWD" root@127.0.0.1 'cat > /dev/null'
fi
# and the same ProxyCommand lines moving BULK_MIB MiB into the worker's sink: wall time and the client's CPU per GiB
# (warm: the launcher's cats and the helper JVM's CPU, read from /proc before and after)
SINK_LINES=()
helper_cpu() { local pid; pid=$(sed -n 's/^GMT1 [0-9]* [0-9a-f]* \([0-9]*\)$/\1/p' "$HOME_ENG/.config/gridmesh/tunnel-helper" 2>/dev/null)
  if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then awk '{print $14 + $15}' "/proc/$pid/stat"; else echo 0; fi; }
sink() { # NAME LINE [ENV=V]
  local t h0 h1 mbit cpu
  h0=$(helper_cpu)
  t=$(date +%s%N)
  head -c "${BULK_MIB}M" /dev/zero | HOME=$HOME_ENG timeout 600 /usr/bin/time -o "$WORK/sink.time" -f '%U %S' \
    env ${3:-} ip netns exec "${P}e" sh -c "${2% 22} 9009" >/dev/null
  mbit=$(awk -v b=$((BULK_MIB * 1048576)) -v ns=$(( $(date +%s%N) - t )) 'BEGIN {printf "%.0f", b * 8 / (ns / 1e9) / 1e6}')
  h1=$(helper_cpu)
  cpu=$(awk -v m="$BULK_MIB" -v ticks=$((h1 - h0)) -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($1 + $2 + ticks / hz) * 1024 / m}' "$WORK/sink.time")
  log "gridmesh tunnel worker 9009 (sink, $1): ${mbit} Mbit/s, client CPU ${cpu} s/GiB"
  SINK_LINES+=("$(printf '`gridmesh tunnel worker 9009` (%s, the ProxyCommand line, no ssh) moving %s MiB into a sink on the worker: %s Mbit/s, client CPU (user+sys) %s s/GiB' \
    "$1" "$BULK_MIB" "$mbit" "$cpu")")
}
sink "cold: a JVM" "$PROXY_COLD" GRIDMESH_TUNNEL_PERSIST=0
sink "warm: launcher cats + tunnel helper" "$PROXY"

HOME=$HOME_ENG timeout 60 ip netns exec "${P}e" ssh -F "$WORK/ssh_config" "${SSHO[@]}" root@worker true # helper warm
measure "gridmesh ssh (ProxyCommand, warm: launcher fast path through the tunnel helper, no JVM)" ssh -F "$WORK/ssh_config" "${SSHO[@]}" root@worker
measure "gridmesh ssh (ProxyCommand, cold: GRIDMESH_TUNNEL_PERSIST=0, JVM per connection)" env GRIDMESH_TUNNEL_PERSIST=0 ssh -F "$WORK/ssh_config_cold" "${SSHO[@]}" root@worker
measure "gridmesh ssh command (warm: bash builds the ssh line, helper)" "$ENG" ssh "${SSHO[@]}" root@worker
measure "gridmesh ssh command (cold: its own JVM, then ssh with the JVM ProxyCommand)" env GRIDMESH_TUNNEL_PERSIST=0 "$ENG" ssh "${SSHO[@]}" root@worker
measure "gridmesh forward (running JVM), ssh 127.0.0.1" ssh "${SSHO[@]}" -p "$FWD" root@127.0.0.1
measure "OpenSSH reverse tunnel via jump (ssh -R / -J)" ssh "${SSHO[@]}" -o "ProxyCommand=ssh ${SSHO[*]} -W %h:%p root@198.18.42.1" -p 2222 root@127.0.0.1
# the jump host restarts its socat pair between sessions: a connect in that gap is refused, so allow retries (1 s each)
measure "socat relay on the jump host" ssh "${SSHO[@]}" -o ConnectionAttempts=5 -p 7001 root@198.18.42.1

printf '\n| path (same run) | `ssh ... true` setup ms (median of %s) | bulk `cat` of %s MiB, Mbit/s |\n|---|---|---|\n' "$RUNS" "$BULK_MIB"
printf '%s\n' "${ROWS[@]}"
printf '\n'
printf '%s\n' "${SINK_LINES[@]}" "${FB_LINES[@]}"
printf '\ngridmesh warm-up before the sink lines and the table (not measured): %s MiB through the helper path and %s MiB through forward\n' "$WARM_MIB" "$WARM_MIB"
printf '\nload average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
