#!/usr/bin/env python3
"""Signs COUNT blobs for `POST /v1/blobs/signed` load (Benchmarks/mesh/http_wrk.sh) without Cairn's own code.

Each blob is seq 1 of its own channel `bench/N` (prev zero), with a 1 KiB random payload, signed with the Ed25519
seed in KEY (a node's `node.key`: 64 hexadecimal characters), in the canonical encoding of Docs/PROTOCOL.md:
version 1, author, channel length and name, seq, prev, timestamp, payload length and payload (big-endian integers),
then the signature over "cairn/blob/v1\\0" followed by everything before it. The blobs are split round-robin over
PARTS files OUT.0 ... OUT.(PARTS-1), one per wrk thread, each a sequence of (u32 big-endian length, encoding).
Needs the `cryptography` module.
"""

import os
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN = b"cairn/blob/v1\x00"
PAYLOAD_BYTES = 1024


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit("usage: http_ingest_blobs.py KEY COUNT PARTS OUT")
    key_path, count, parts, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    with open(key_path) as handle:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(handle.read().strip()))
    author = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    timestamp = int(time.time() * 1000)
    files = [open(f"{out}.{part}", "wb") for part in range(parts)]
    for index in range(count):
        channel = f"bench/{index}".encode()
        payload = os.urandom(PAYLOAD_BYTES)
        body = (
            bytes([1])
            + author
            + bytes([len(channel)])
            + channel
            + struct.pack(">Q", 1)
            + bytes(32)
            + struct.pack(">Q", timestamp)
            + struct.pack(">I", len(payload))
            + payload
        )
        encoding = body + key.sign(DOMAIN + body)
        files[index % parts].write(struct.pack(">I", len(encoding)) + encoding)
    for handle in files:
        handle.close()


if __name__ == "__main__":
    main()
