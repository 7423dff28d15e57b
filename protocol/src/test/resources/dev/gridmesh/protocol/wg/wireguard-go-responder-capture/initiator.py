"""Our independent Python initiator (wg_reference.py) against a real wireguard-go responder; prints the exchange."""
import sys, socket, struct
sys.path.insert(0, "/work/main/crypto/src/test/resources/dev/gridmesh/crypto/noise")
from wg_reference import *

Si = clamp(seed("initiator static"))
Ei = clamp(seed("initiator ephemeral"))
Sgo_pub = PUB(clamp(seed("wireguard-go responder static")))
Q = seed("preshared key")
epoch_ms = 1780000000123
secs = 0x400000000000000a + epoch_ms // 1000
nanos = ((epoch_ms % 1000) * 1000000) & ~(0x1000000 - 1)
TS = secs.to_bytes(8, "big") + nanos.to_bytes(4, "big")
I_idx = 0x0a0b0c0d
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)

C = HASH(CONSTRUCTION); H = HASH(C, IDENTIFIER); H = HASH(H, Sgo_pub)
Ei_pub = PUB(Ei)
C = KDF(1, C, Ei_pub)[0]; H = HASH(H, Ei_pub)
C, k = KDF(2, C, DH(Ei, Sgo_pub)); enc_static = AEAD(k, 0, PUB(Si), H); H = HASH(H, enc_static)
C, k = KDF(2, C, DH(Si, Sgo_pub)); enc_ts = AEAD(k, 0, TS, H); H = HASH(H, enc_ts)
m1 = bytes([1, 0, 0, 0]) + I_idx.to_bytes(4, "little") + Ei_pub + enc_static + enc_ts
m1 += MAC(HASH(b"mac1----", Sgo_pub), m1) + b"\0" * 16
print("msg1", m1.hex(), flush=True)
s.sendto(m1, ("127.0.0.1", port))
m2, addr = s.recvfrom(2000)
print("msg2", m2.hex(), flush=True)
assert m2[0] == 2 and m2[8:12] == I_idx.to_bytes(4, "little")
R_idx = m2[4:8]
Er_pub = m2[12:44]
C = KDF(1, C, Er_pub)[0]; H = HASH(H, Er_pub)
C = KDF(1, C, DH(Ei, Er_pub))[0]
C = KDF(1, C, DH(Si, Er_pub))[0]
C, t, k = KDF(3, C, Q); H = HASH(H, t)
ChaCha20Poly1305(k).decrypt(b"\0" * 12, m2[44:60], H)
T_send, T_recv = KDF(2, C, b"")

def csum(b):
    if len(b) % 2: b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return (~t) & 0xffff
payload = bytes(range(16))
icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4747, 1) + payload
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x1234, 0, 64, 1, 0, bytes([100, 64, 78, 2]), bytes([100, 64, 78, 1]))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + icmp
print("ping", ip.hex(), flush=True)
padded = ip + b"\0" * (-len(ip) % 16)
m4 = bytes([4, 0, 0, 0]) + R_idx + (0).to_bytes(8, "little") + AEAD(T_send, 0, padded, b"")
print("msg4", m4.hex(), flush=True)
s.sendto(m4, addr)
for _ in range(3):
    m, _ = s.recvfrom(2000)
    print("reply", m.hex(), flush=True)
    pt = ChaCha20Poly1305(T_recv).decrypt(b"\0" * 4 + m[8:16], m[16:], b"")
    print("plain", pt.hex(), flush=True)
    if len(pt):
        break
