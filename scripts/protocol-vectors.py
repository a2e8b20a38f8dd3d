#!/usr/bin/env python3
"""Independent reference encoder for Cairn's signed blob (Docs/PROTOCOL.md), used to cross-check the
test vectors. Needs PyNaCl (pip install pynacl); hashlib provides BLAKE2b. Prints the vectors as JSON."""
import hashlib
import json
import struct

from nacl.signing import SigningKey

DOMAIN = b"cairn/blob/v1\x00"


def blob(seed, channel, seq, prev, timestamp, payload):
    key = SigningKey(seed)
    author = bytes(key.verify_key)
    name = channel.encode("utf-8")
    body = (bytes([1]) + author + bytes([len(name)]) + name + struct.pack(">Q", seq) + prev
            + struct.pack(">Q", timestamp) + struct.pack(">I", len(payload)) + payload)
    signature = key.sign(DOMAIN + body).signature
    encoding = body + signature
    return {
        "seed": seed.hex(), "author": author.hex(), "channel": channel, "seq": seq, "prev": prev.hex(),
        "timestamp": timestamp, "payload": payload.hex(), "encoding": encoding.hex(),
        "id": hashlib.blake2b(encoding, digest_size=32).hexdigest(),
    }


v1 = blob(bytes(range(32)), "main", 1, bytes(32), 1_700_000_000_000, b"hello, cairn")
v2 = blob(bytes(range(32)), "main", 2, bytes.fromhex(v1["id"]), 1_700_000_001_000, b"")
v3 = blob(bytes([0x42] * 32), "caf\u00e9/\u00fcn\u00ef", 7, hashlib.blake2b(b"prev", digest_size=32).digest(), 0,
          bytes(range(256)))
low, high = sorted([bytes.fromhex(v1["id"]), bytes.fromhex(v2["id"])])
evidence_id = hashlib.blake2b(b"cairn/evidence/v1\x00" + bytes([1]) + low + high, digest_size=32).hexdigest()
print(json.dumps({"blobs": [v1, v2, v3], "evidence_id_kind1_v1_v2": evidence_id}, indent=2))
