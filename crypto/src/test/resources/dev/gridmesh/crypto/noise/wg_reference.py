#!/usr/bin/env python3
"""Independent reference for WireGuard's handshake (whitepaper section 5.4), written from the paper with Python's
hashlib (BLAKE2s) and the 'cryptography' package (X25519, ChaCha20-Poly1305). Prints the golden vectors used by
NoiseHandshakeGoldenTest. Run: python3 wg_reference.py"""
import hashlib, hmac
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

def HASH(*parts):
    h = hashlib.blake2s()
    for p in parts:
        h.update(p)
    return h.digest()

def MAC(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()

def HMAC(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()

def KDF(n, key, inp):
    t0 = HMAC(key, inp)
    out, prev = [], b""
    for i in range(n):
        prev = HMAC(t0, prev + bytes([i + 1]))
        out.append(prev)
    return out

def AEAD(key, counter, plain, ad):
    return ChaCha20Poly1305(key).encrypt(b"\0" * 4 + counter.to_bytes(8, "little"), plain, ad)

def DH(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))

def PUB(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

def clamp(k):
    k = bytearray(k)
    k[0] &= 248; k[31] &= 127; k[31] |= 64
    return bytes(k)

def seed(s):
    return hashlib.sha256(s.encode()).digest()

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"

Si, Sr = clamp(seed("initiator static")), clamp(seed("responder static"))
Ei, Er = clamp(seed("initiator ephemeral")), clamp(seed("responder ephemeral"))
Q = seed("preshared key")
Si_pub, Sr_pub = PUB(Si), PUB(Sr)
epoch_ms = 1780000000123
secs = 0x400000000000000a + epoch_ms // 1000
nanos = ((epoch_ms % 1000) * 1000000) & ~(0x1000000 - 1)
TS = secs.to_bytes(8, "big") + nanos.to_bytes(4, "big")
I_idx, R_idx = 0x11223344, 0x55667788

# initiator, message 1
C = HASH(CONSTRUCTION)
H = HASH(C, IDENTIFIER)
H = HASH(H, Sr_pub)
Ei_pub = PUB(Ei)
C = KDF(1, C, Ei_pub)[0]
H = HASH(H, Ei_pub)
C, k = KDF(2, C, DH(Ei, Sr_pub))
enc_static = AEAD(k, 0, Si_pub, H)
H = HASH(H, enc_static)
C, k = KDF(2, C, DH(Si, Sr_pub))
enc_ts = AEAD(k, 0, TS, H)
H = HASH(H, enc_ts)
msg1 = bytes([1, 0, 0, 0]) + I_idx.to_bytes(4, "little") + Ei_pub + enc_static + enc_ts
msg1 += MAC(HASH(b"mac1----", Sr_pub), msg1)
msg1 += b"\0" * 16

# responder, message 2
Er_pub = PUB(Er)
C = KDF(1, C, Er_pub)[0]
H = HASH(H, Er_pub)
C = KDF(1, C, DH(Er, Ei_pub))[0]
C = KDF(1, C, DH(Er, Si_pub))[0]
C, t, k = KDF(3, C, Q)
H = HASH(H, t)
enc_empty = AEAD(k, 0, b"", H)
H = HASH(H, enc_empty)
msg2 = bytes([2, 0, 0, 0]) + R_idx.to_bytes(4, "little") + I_idx.to_bytes(4, "little") + Er_pub + enc_empty
msg2 += MAC(HASH(b"mac1----", Si_pub), msg2)
msg2 += b"\0" * 16

T_send_i, T_recv_i = KDF(2, C, b"")
# first transport message from the initiator: a 32-byte payload, counter 0 (already a multiple of 16, no padding)
payload = bytes(range(32))
msg4 = bytes([4, 0, 0, 0]) + R_idx.to_bytes(4, "little") + (0).to_bytes(8, "little") + AEAD(T_send_i, 0, payload, b"")
keepalive = bytes([4, 0, 0, 0]) + R_idx.to_bytes(4, "little") + (1).to_bytes(8, "little") + AEAD(T_send_i, 1, b"", b"")

if __name__ == "__main__":
    for name, v in [("Si", Si), ("Sr", Sr), ("Ei", Ei), ("Er", Er), ("Q", Q), ("TS", TS), ("msg1", msg1),
                    ("msg2", msg2), ("T_send_i", T_send_i), ("T_recv_i", T_recv_i), ("msg4", msg4),
                    ("keepalive", keepalive)]:
        print(name, v.hex())
    print("blake2s_abc", HASH(b"abc").hex())
    print("hmac_blake2s_key_jefe", HMAC(b"Jefe", b"what do ya want for nothing?").hex())
    k1 = KDF(3, bytes(32), b"input")
    print("kdf3_zero_input", k1[0].hex(), k1[1].hex(), k1[2].hex())
    print("mac_key32_abc", MAC(bytes(range(32)), b"abc").hex())
