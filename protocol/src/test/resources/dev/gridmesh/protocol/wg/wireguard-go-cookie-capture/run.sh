#!/bin/bash
# wireguard-go as responder, our Python initiator; needs root. Writes capture.txt.
set -u
cd "$(dirname "$0")"
NS=gmwgcapc$$
IF=gmcapc$$
cleanup() { ip netns pids $NS 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $NS 2>/dev/null; }
trap cleanup EXIT
ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 timeout 30 wireguard-go -f $IF > wggo.log 2>&1 &
sleep 1
python3 -c '
import sys, base64
sys.path.insert(0, "/work/main/crypto/src/test/resources/dev/gridmesh/crypto/noise")
from wg_reference import *
print(base64.b64encode(clamp(seed("wireguard-go responder static"))).decode())
print(base64.b64encode(PUB(clamp(seed("initiator static")))).decode())
print(base64.b64encode(seed("preshared key")).decode())' > keys.txt
head -1 keys.txt > priv.key; sed -n 3p keys.txt > psk.key
PORT=$((40000 + RANDOM % 20000))
ip netns exec $NS wg set $IF private-key priv.key listen-port $PORT peer $(sed -n 2p keys.txt) preshared-key psk.key allowed-ips 100.64.78.2/32
ip -n $NS addr add 100.64.78.1/24 dev $IF
ip -n $NS link set $IF up
ip netns exec $NS timeout 15 python3 cookie_initiator.py $PORT > capture.txt 2>&1
ip netns exec $NS wg show $IF
rm -f priv.key psk.key keys.txt
