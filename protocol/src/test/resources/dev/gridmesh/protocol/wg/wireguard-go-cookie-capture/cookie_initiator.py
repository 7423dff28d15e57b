"""Puts a real wireguard-go under load with junk initiations, then sends a genuine initiation: wireguard-go answers
with a cookie reply; the cookie is decrypted (XChaCha20-Poly1305, HChaCha20 written here from the draft) and a retry
carrying mac2 is accepted (wireguard-go answers with a handshake response)."""
import sys, socket, struct, os, time
sys.path.insert(0, "/work/main/crypto/src/test/resources/dev/gridmesh/crypto/noise")
from wg_reference import *

def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
def qr(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
def hchacha20(key, n16):
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", n16))
    for _ in range(10):
        qr(s, 0, 4, 8, 12); qr(s, 1, 5, 9, 13); qr(s, 2, 6, 10, 14); qr(s, 3, 7, 11, 15)
        qr(s, 0, 5, 10, 15); qr(s, 1, 6, 11, 12); qr(s, 2, 7, 8, 13); qr(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))
def xopen(key, nonce24, ct, ad):
    return ChaCha20Poly1305(hchacha20(key, nonce24[:16])).decrypt(b"\0" * 4 + nonce24[16:], ct, ad)

Si = clamp(seed("initiator static"))
Sgo_pub = PUB(clamp(seed("wireguard-go responder static")))
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)

def initiation(Ei, TS, idx):
    C = HASH(CONSTRUCTION); H = HASH(C, IDENTIFIER); H = HASH(H, Sgo_pub)
    Ei_pub = PUB(Ei)
    C = KDF(1, C, Ei_pub)[0]; H = HASH(H, Ei_pub)
    C, k = KDF(2, C, DH(Ei, Sgo_pub)); es = AEAD(k, 0, PUB(Si), H); H = HASH(H, es)
    C, k = KDF(2, C, DH(Si, Sgo_pub)); et = AEAD(k, 0, TS, H); H = HASH(H, et)
    m = bytes([1, 0, 0, 0]) + idx.to_bytes(4, "little") + Ei_pub + es + et
    return m + MAC(HASH(b"mac1----", Sgo_pub), m)

def ts(ms):
    return (0x400000000000000a + ms // 1000).to_bytes(8, "big") + ((((ms % 1000) * 1000000) & ~0xffffff)).to_bytes(4, "big")

junk = bytes([1, 0, 0, 0]) + bytes(4) + os.urandom(108)
junk = junk + MAC(HASH(b"mac1----", Sgo_pub), junk) + bytes(16)  # valid mac1: costs wireguard-go a DH each
for _ in range(700):
    s.sendto(junk, ("127.0.0.1", port))
m1 = initiation(clamp(seed("cookie ephemeral 1")), ts(1780000000123), 0x01020304) + bytes(16)
for _ in range(3):
    s.sendto(m1, ("127.0.0.1", port))
    time.sleep(0.05)
print("msg1", m1.hex(), flush=True)
while True:
    reply, addr = s.recvfrom(2000)
    if reply[4:8] == (0x01020304).to_bytes(4, "little"):
        break
print("cookie", reply.hex(), flush=True)
assert reply[0] == 3 and len(reply) == 64
cookie = xopen(HASH(b"cookie--", Sgo_pub), reply[8:32], reply[32:64], m1[116:132])
print("cookievalue", cookie.hex(), flush=True)
for _ in range(700):
    s.sendto(junk, ("127.0.0.1", port))
m1b = initiation(clamp(seed("cookie ephemeral 2")), ts(1780000001123), 0x01020305)
m1b += MAC(cookie, m1b)
s.sendto(m1b, ("127.0.0.1", port))
print("retry", m1b.hex(), flush=True)
while True:
    m, _ = s.recvfrom(2000)
    if m[0] == 2 or m[4:8] == (0x01020305).to_bytes(4, "little"):
        print("answer", m.hex(), flush=True)
        if m[0] == 2:
            break
