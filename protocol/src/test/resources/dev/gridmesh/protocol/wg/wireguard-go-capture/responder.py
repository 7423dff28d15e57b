import sys, socket, base64
sys.path.insert(0, "/work/main/crypto/src/test/resources/dev/gridmesh/crypto/noise")
from wg_reference import *
Sgo = clamp(seed("wireguard-go static"))
Sr = clamp(seed("responder static"))
Er = clamp(seed("responder ephemeral"))
Q = seed("preshared key")
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(10)
print("ready", flush=True)
m1, addr = s.recvfrom(2000)
print("msg1", m1.hex(), flush=True)
assert len(m1) == 148 and m1[0] == 1
sender = m1[4:8]
# responder processing (whitepaper 5.4.2)
C = HASH(CONSTRUCTION); H = HASH(C, IDENTIFIER); H = HASH(H, PUB(Sr))
Ei_pub = m1[8:40]
C = KDF(1, C, Ei_pub)[0]; H = HASH(H, Ei_pub)
C, k = KDF(2, C, DH(Sr, Ei_pub))
Si_pub = ChaCha20Poly1305(k).decrypt(b"\0"*12, m1[40:88], H)
assert Si_pub == PUB(Sgo)
H = HASH(H, m1[40:88])
C, k = KDF(2, C, DH(Sr, Si_pub))
ts = ChaCha20Poly1305(k).decrypt(b"\0"*12, m1[88:116], H)
print("ts", ts.hex(), flush=True)
H = HASH(H, m1[88:116])
Er_pub = PUB(Er)
C = KDF(1, C, Er_pub)[0]; H = HASH(H, Er_pub)
C = KDF(1, C, DH(Er, Ei_pub))[0]
C = KDF(1, C, DH(Er, Si_pub))[0]
C, t, k = KDF(3, C, Q); H = HASH(H, t)
empty = AEAD(k, 0, b"", H)
R_idx = (0x55667788).to_bytes(4, "little")
m2 = bytes([2,0,0,0]) + R_idx + sender + Er_pub + empty
m2 += MAC(HASH(b"mac1----", Si_pub), m2) + b"\0"*16
T_recv, T_send = KDF(2, C, b"")  # responder: recv = initiator's send
s.sendto(m2, addr)
print("msg2", m2.hex(), flush=True)
for i in range(3):
    m, _ = s.recvfrom(2000)
    print("msg", m.hex(), flush=True)
    if m[0] == 4:
        ctr = int.from_bytes(m[8:16], "little")
        pt = ChaCha20Poly1305(T_recv).decrypt(b"\0"*4 + m[8:16], m[16:], b"")
        print("plain", ctr, pt.hex(), flush=True)
        if len(pt) > 0:
            break
