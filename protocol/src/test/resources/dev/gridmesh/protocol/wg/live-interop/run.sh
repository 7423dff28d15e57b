#!/bin/bash
# live interop: our WgEngine (Java, UDP on loopback) <-> wireguard-go, both in one network namespace
set -u
cd "$(dirname "$0")"; cp Interop.java.txt /tmp/Interop.java; cd /tmp
SECS=${1:-20}
NS=gmwglive$$
IF=gmlive$$
cleanup() { ip netns pids $NS 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del $NS 2>/dev/null; }
trap cleanup EXIT
ip netns add $NS
ip -n $NS link set lo up
ip netns exec $NS env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 timeout $((SECS + 30)) wireguard-go -f $IF > wggo.log 2>&1 &
sleep 1
python3 -c '
import sys, base64
sys.path.insert(0, "/work/main/crypto/src/test/resources/dev/gridmesh/crypto/noise")
from wg_reference import *
print(base64.b64encode(clamp(seed("wireguard-go responder static"))).decode())
print(base64.b64encode(PUB(clamp(seed("initiator static")))).decode())
print(base64.b64encode(seed("preshared key")).decode())' > keys.txt
head -1 keys.txt > priv.key; sed -n 3p keys.txt > psk.key
WGPORT=$((40000 + RANDOM % 10000)); OURPORT=$((50000 + RANDOM % 10000))
ip netns exec $NS wg set $IF private-key priv.key listen-port $WGPORT peer $(sed -n 2p keys.txt) preshared-key psk.key endpoint 127.0.0.1:$OURPORT allowed-ips 100.64.78.2/32
ip -n $NS addr add 100.64.78.1/24 dev $IF
ip -n $NS link set $IF up
CP=/work/main/protocol/target/classes:/work/main/crypto/target/classes:$HOME/.m2/repository/org/bouncycastle/bcprov-jdk18on/1.87/bcprov-jdk18on-1.87.jar
ip netns exec $NS /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp $CP Interop.java $WGPORT $SECS $OURPORT &
JP=$!
sleep 6
ip netns exec $NS ping -q -i 1 -w $((SECS - 8)) 100.64.78.2 | tail -2
wait $JP
ip netns exec $NS wg show $IF
rm -f priv.key psk.key keys.txt
