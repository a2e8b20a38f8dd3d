#!/usr/bin/env python3
"""Independent Negentropy protocol V1 vectors for Docs/PROTOCOL.md §6 and Tests/CairnProtocolTests.

Only hashlib; no Cairn code. Prints varints, fingerprints and the two example exchanges, written out from the
V1 rules (bounds, modes, fingerprints) rather than computed by a reconciler.
"""
import hashlib


def varint(n):
    """Base-128 digits, most significant first, high bit on every byte but the last."""
    if n == 0:
        return b"\x00"
    digits = []
    while n:
        digits.append(n & 0x7F)
        n >>= 7
    digits.reverse()
    return bytes([d | 0x80 for d in digits[:-1]] + [digits[-1]])


def fingerprint(ids):
    """SHA-256 over (sum of ids as little-endian 256-bit numbers mod 2^256) || varint(count), first 16 bytes."""
    total = sum(int.from_bytes(i, "little") for i in ids) % (1 << 256)
    return hashlib.sha256(total.to_bytes(32, "little") + varint(len(ids))).digest()[:16]


def repeated(byte):
    return bytes([byte]) * 32


def prefixed(*prefix):
    return bytes(prefix) + bytes(32 - len(prefix))


SKIP, FINGERPRINT, IDLIST = b"\x00", b"\x01", b"\x02"
INFINITY = b"\x00\x00"  # timestamp 0 (infinity), prefix length 0

print("varints:", ", ".join(f"{n}={varint(n).hex()}" for n in [0, 1, 127, 128, 255, 300, 16383, 16384, 2**32, 2**64 - 1]))
print("fingerprint {}:", fingerprint([]).hex())
print("fingerprint {ff..ff, 01 00..00}:", fingerprint([repeated(0xFF), prefixed(1)]).hex())
print("fingerprint {00 01..1f, 20 21..3f}:", fingerprint([bytes(range(0, 32)), bytes(range(0x20, 0x40))]).hex())
print("fingerprint 300 ids:", fingerprint([prefixed(i % 256, i // 256) for i in range(300)]).hex())

# Vector 1: A = {(1000, aa..), (1001, bb..), (1002, cc..)}, B = {(1000, aa..), (1002, cc..), (1003, dd..)}.
aa, bb, cc, dd = (repeated(b) for b in (0xAA, 0xBB, 0xCC, 0xDD))
query = (b"\x61" + varint(1 + 1001) + b"\x00" + FINGERPRINT + fingerprint([aa])
         + varint(1 + 1) + b"\x00" + FINGERPRINT + fingerprint([bb])
         + INFINITY + FINGERPRINT + fingerprint([cc]))
response = (b"\x61" + varint(1 + 1001) + b"\x00" + SKIP
            + varint(1 + 1) + b"\x00" + IDLIST + varint(0)
            + INFINITY + IDLIST + varint(2) + cc + dd)
print("vector 1 query:   ", query.hex())
print("vector 1 response:", response.hex())

# Vector 2: one second (500) and ids sharing leading bytes.
a = [prefixed(0x10, 0x00), prefixed(0x10, 0x01), prefixed(0x20), prefixed(0x30)]
query = (b"\x61" + varint(1 + 500) + b"\x02\x10\x01" + FINGERPRINT + fingerprint([a[0]])
         + varint(1 + 0) + b"\x01\x20" + FINGERPRINT + fingerprint([a[1]])
         + varint(1 + 0) + b"\x01\x30" + FINGERPRINT + fingerprint([a[2]])
         + INFINITY + FINGERPRINT + fingerprint([a[3]]))
response = (b"\x61" + varint(1 + 500) + b"\x02\x10\x01" + SKIP
            + varint(1 + 0) + b"\x01\x20" + IDLIST + varint(0)
            + varint(1 + 0) + b"\x01\x30" + SKIP
            + INFINITY + IDLIST + varint(3) + prefixed(0x30) + prefixed(0x40) + prefixed(0x50))
print("vector 2 query:   ", query.hex())
print("vector 2 response:", response.hex())
