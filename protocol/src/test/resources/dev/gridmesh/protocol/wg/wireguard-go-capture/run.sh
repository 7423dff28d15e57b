#!/bin/bash
set -u
NS=gmwgcap$$
IF=gmcap$$
cleanup() { ip netns pids $NS 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $NS 2>/dev/null; }
trap cleanup EXIT
ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 timeout 30 wireguard-go -f $IF > wggo.log 2>&1 &
sleep 1
python3 keys.py > keys.txt; head -1 keys.txt > priv.key; sed -n 3p keys.txt > psk.key
ip netns exec $NS wg set $IF private-key priv.key peer $(sed -n 2p keys.txt) preshared-key psk.key endpoint 127.0.0.1:40123 allowed-ips 100.64.77.2/32
ip -n $NS addr add 100.64.77.1/24 dev $IF
ip -n $NS link set $IF up
ip netns exec $NS timeout 15 python3 responder.py 40123 > capture.txt 2>&1 &
RP=$!
sleep 0.5
ip netns exec $NS ping -c 3 -i 0.5 -W 1 100.64.77.2 > /dev/null 2>&1
wait $RP
ip netns exec $NS wg show $IF
