import sys, base64
sys.path.insert(0, "/work/main/crypto/src/test/resources/dev/gridmesh/crypto/noise")
from wg_reference import *
print(base64.b64encode(clamp(seed("wireguard-go static"))).decode())
print(base64.b64encode(PUB(clamp(seed("responder static")))).decode())
print(base64.b64encode(seed("preshared key")).decode())
