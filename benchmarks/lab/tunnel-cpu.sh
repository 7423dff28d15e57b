#!/usr/bin/env bash
# Lab benchmark: CPU per GiB of an SSH bulk upload through a reverse tunnel, gridmesh vs OpenSSH, per host, in the
# same run. Where tunnel.sh asks "how fast", this asks "what does each byte cost, and on which host", which depends
# much less on how loaded the box is. Same lab as tunnel.sh:
#
#   gm<run>w worker              gm<run>n NAT                 gm<run>j jump/relay host          gm<run>e engineer
#   sshd 127.0.0.1:22            MASQUERADE --random-fully   gridmesh relay :8443              ssh
#   gridmesh agent                                           sshd 198.18.40.1:22 (ssh -R)      gridmesh forward
#   ssh -N -R 2222:localhost:22
#   198.18.41.2/24 ---- 198.18.41.1 | 198.18.40.2 ---- 198.18.40.1   198.18.42.1 ---- 198.18.42.2/24
#
# Each path moves BULK_MIB MiB (`head -c | ssh ... 'cat > /dev/null'`) RUNS times, alternating:
#   gridmesh: ssh -> running `gridmesh forward` -> relay -> agent -> sshd
#   openssh:  ssh (ProxyCommand ssh -W via the jump host) -> jump sshd -> worker's `ssh -R` -> sshd
# Every process of a host runs in one cpuacct cgroup (v1, or a v2 group), so a row's CPU includes ssh and sshd on
# both paths and the JVMs' JIT compilers. A warm-up transfer per path runs first (not printed); the first printed
# gridmesh rows still carry JIT compilation, later ones are the steady state.
# Usage: sudo benchmarks/lab/tunnel-cpu.sh   Env: RUNS (3), BULK_MIB (200), GRIDMESH_LIB=DIR (jars to run).
# Namespaces, cgroups, processes and files go on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
RUNS=${RUNS:-3}
BULK_MIB=${BULK_MIB:-200}
C=abcdefghijklmnopqrstuvwxyz0123456789
RUN=${C:RANDOM%26:1}${C:RANDOM%36:1}${C:RANDOM%36:1}${C:RANDOM%36:1}
P="gm$RUN"
WORK=$(mktemp -d "/tmp/gridmesh-tunnelcpu.$RUN.XXXX")
PIDS=()
if [ -d /sys/fs/cgroup/cpuacct ]; then CGV=1; CGR=/sys/fs/cgroup/cpuacct; else CGV=2; CGR=/sys/fs/cgroup; fi

cleanup() {
  local rc=$? c
  trap - EXIT INT TERM
  stop_pids "${PIDS[@]}" 2>/dev/null || true
  del_run_netns
  for c in e j w; do # a killed process leaves its group a moment after the kill: retry, bounded
    for _ in $(seq 50); do rmdir "$CGR/${P}_$c" 2>/dev/null && break; [ -d "$CGR/${P}_$c" ] || break; sleep 0.1; done
  done
  ((rc == 0)) || { log "tunnel-cpu.sh: failed (exit $rc); logs:"; for f in "$WORK"/*.log; do [ -f "$f" ] && { log "--- $f"; tail -n 15 "$f" >&2; }; done; }
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

private_cli gridmesh # the jars under test, copied (lib.sh)
G="$WORK/gridmesh"

# one cgroup per host; `ip netns exec` remounts /sys, so a process joins its group before entering the namespace
for c in e j w; do mkdir -p "$CGR/${P}_$c"; done
printf '#!/bin/sh\nc=$1; shift; echo $$ > %s/%s_$c/cgroup.procs; exec "$@"\n' "$CGR" "$P" >"$WORK/in_cg"
chmod +x "$WORK/in_cg"
usage_ns() { # host -> CPU ns used by its group so far
  if ((CGV == 1)); then cat "$CGR/${P}_$1/cpuacct.usage"; else awk '/^usage_usec/ {print $2 * 1000}' "$CGR/${P}_$1/cpu.stat"; fi
}
in_host() { local ns=$1; shift; "$WORK/in_cg" "$ns" ip netns exec "$P$ns" "$@"; } # in the namespace and its cgroup

tunnel_lab # namespaces, links, the NAT, ssh keys and sshd configs (lib.sh)
in_host w /usr/sbin/sshd -D -e -f "$WORK/worker_sshd_config" >"$WORK/sshd-worker.log" 2>&1 & PIDS+=($!)
in_host j /usr/sbin/sshd -D -e -f "$WORK/jump_sshd_config" >"$WORK/sshd-jump.log" 2>&1 & PIDS+=($!)
SSHO=(-i "$WORK/eng_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR)

in_host j "$G" relay --state-dir "$WORK/relay" --listen 0.0.0.0:8443 >"$WORK/relay.log" 2>&1 & PIDS+=($!)
wait_for "relay" 90 grep -q 'certificate pin' "$WORK/relay.log"
PIN=$(grep -o 'sha256:[0-9a-f]\{64\}' "$WORK/relay.log" | head -1)
JOIN=$(in_ns j "$G" relay token create --state-dir "$WORK/relay" 2>/dev/null)
in_host w "$G" agent --server 198.18.40.1:8443 --pin "$PIN" --token "$JOIN" --hostname worker \
  --state-dir "$WORK/agent" --tun gm0 >"$WORK/agent.log" 2>&1 & PIDS+=($!)
wait_for "agent" 90 grep -q 'agent: node' "$WORK/agent.log"
in_ns j "$G" relay user create eng --state-dir "$WORK/relay" >/dev/null
UTOKEN=$(in_ns j "$G" relay user token eng --state-dir "$WORK/relay" 2>/dev/null)
echo "allow user:eng node:worker 22" >"$WORK/relay/tunnel-policy"
mkdir -p "$WORK/eng"
HOME=$WORK/eng in_ns e "$G" login --server 198.18.42.1:8443 --pin "$PIN" --token "$UTOKEN" >/dev/null
HOME=$WORK/eng in_host e "$G" forward 0:worker:22 >"$WORK/forward.log" 2>&1 & PIDS+=($!)
wait_for "forward" 60 grep -q '^forwarding' "$WORK/forward.log"
FWD=$(sed -n 's/^forwarding 127.0.0.1:\([0-9]*\) .*/\1/p' "$WORK/forward.log")
in_host w ssh -i "$WORK/worker_key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
  -o ExitOnForwardFailure=yes -o ServerAliveInterval=5 -N -R 2222:localhost:22 root@198.18.40.1 >"$WORK/ssh-R.log" 2>&1 & PIDS+=($!)
wait_for "ssh -R" 30 in_ns j bash -c "ss -Hltn | grep -q '127.0.0.1:2222 '"

ROWS=()
bulk() { # NAME MIB ssh-args... : one upload; appends a table row
  local name=$1 mib=$2; shift 2
  local e0 j0 w0 e1 j1 w1 t ns
  e0=$(usage_ns e); j0=$(usage_ns j); w0=$(usage_ns w); t=$(date +%s%N)
  head -c "${mib}M" /dev/zero | HOME=$WORK/eng timeout 600 "$WORK/in_cg" e ip netns exec "${P}e" ssh "${SSHO[@]}" "$@" 'cat > /dev/null'
  ns=$(( $(date +%s%N) - t )); e1=$(usage_ns e); j1=$(usage_ns j); w1=$(usage_ns w)
  ROWS+=("$(awk -v n="$name" -v m="$mib" -v ns="$ns" -v e=$((e1 - e0)) -v j=$((j1 - j0)) -v w=$((w1 - w0)) \
    -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { g = m / 1024
      printf "| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s |", n, m * 1048576 * 8 / (ns / 1e9) / 1e6, e / 1e9 / g, j / 1e9 / g, w / 1e9 / g, (e + j + w) / 1e9 / g, l }')")
  log "${ROWS[-1]}"
}
GM=(-p "$FWD" root@127.0.0.1)
OS=(-o "ProxyCommand=ssh ${SSHO[*]} -W %h:%p root@198.18.42.1" -p 2222 root@127.0.0.1)
bulk warm-up 30 "${GM[@]}"; bulk warm-up 30 "${OS[@]}"; ROWS=()
for i in $(seq "$RUNS"); do
  bulk "gridmesh forward (ssh -> forward -> relay -> agent -> sshd), run $i" "$BULK_MIB" "${GM[@]}"
  bulk "OpenSSH ssh -R via jump (ssh, ssh -W -> jump sshd -> ssh -R -> sshd), run $i" "$BULK_MIB" "${OS[@]}"
done
printf '\n| path, upload of %s MiB (same run) | Mbit/s | engineer CPU s/GiB | jump/relay CPU s/GiB | worker CPU s/GiB | total CPU s/GiB | load (1 min) |\n|---|---|---|---|---|---|---|\n' "$BULK_MIB"
printf '%s\n' "${ROWS[@]}"
printf '\nengineer = ssh (+ gridmesh forward | + ssh -W); jump/relay = gridmesh relay | sshd; worker = agent + sshd | ssh -R + sshd. cgroup v%s cpuacct.\n' "$CGV"
