#!/usr/bin/env python3
"""Independent reference encoder for the quorum plug-in's objects (Docs/QUORUM.md): genesis, payloads, signature
blobs and kind-2 evidence. Uses only hashlib (BLAKE2b) and the `cryptography` package (Ed25519, RFC 8032, the same
deterministic signatures as libsodium); no Cairn code. Prints the vectors as JSON; Tests/CairnQuorumTests checks
that the Swift implementation produces the same bytes."""
import hashlib
import json
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b2b(*parts):
    h = hashlib.blake2b(digest_size=32)
    for p in parts:
        h.update(p)
    return h.digest()


def key(seed_byte):
    private = Ed25519PrivateKey.from_private_bytes(bytes([seed_byte] * 32))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private, public


KEYS = {n: key(n) for n in range(1, 6)}
PUB = {n: KEYS[n][1] for n in KEYS}

# Config/genesis.toml
GENESIS = {
    "network": "cairn-demo", "quorum_size": 3, "min_vote_stake": 10, "vote_lag_heights": 2,
    "vote_commit_heights": 4, "epoch_length_heights": 100, "stall_alert_ms": 10000,
    "stake": {PUB[1]: 100, PUB[2]: 100, PUB[3]: 100, PUB[4]: 60, PUB[5]: 40},
    "initial_quorum": [PUB[1], PUB[2], PUB[3]],
}


def genesis_encoding(g):
    name = g["network"].encode()
    out = bytes([1, len(name)]) + name + struct.pack(">H", g["quorum_size"])
    for k in ("min_vote_stake", "vote_lag_heights", "vote_commit_heights", "epoch_length_heights", "stall_alert_ms"):
        out += struct.pack(">Q", g[k])
    out += struct.pack(">I", len(g["stake"]))
    for pk in sorted(g["stake"]):
        out += pk + struct.pack(">Q", g["stake"][pk])
    out += struct.pack(">H", len(g["initial_quorum"])) + b"".join(sorted(g["initial_quorum"]))
    return out


G_ENC = genesis_encoding(GENESIS)
G_HASH = b2b(b"cairn/quorum/genesis/v1\x00", G_ENC)
HEADER = G_HASH + bytes([1])

candidacy = HEADER
slip = HEADER + bytes([2]) + b"".join(sorted([PUB[1], PUB[4]])) + bytes([1]) + struct.pack(">Q", 0) + bytes([1]) + PUB[2]
slip_ids = sorted([b2b(b"slip a"), b2b(b"slip b")])
cand_ids = [b2b(b"candidacy")]
pair = sorted([b2b(b"sig x"), b2b(b"sig y")])
voteset = (HEADER + struct.pack(">I", 2) + b"".join(slip_ids) + struct.pack(">I", 1) + b"".join(cand_ids)
           + struct.pack(">I", 1) + pair[0] + pair[1])
block_a = b2b(b"block 4 a")
block_b = b2b(b"block 4 b")


def signature(epoch, height, block, voteset_id):
    return HEADER + struct.pack(">QQ", epoch, height) + block + voteset_id


block_data = b"height 1"
block_payload = HEADER + struct.pack(">QQ", 0, 1) + bytes(32) + struct.pack(">I", len(block_data)) + block_data
block_hash = b2b(b"cairn/quorum/block/v1\x00", block_data)


def blob(seed_byte, channel, seq, prev, timestamp, payload):
    private, public = KEYS[seed_byte]
    name = channel.encode()
    body = (bytes([1]) + public + bytes([len(name)]) + name + struct.pack(">Q", seq) + prev
            + struct.pack(">Q", timestamp) + struct.pack(">I", len(payload)) + payload)
    encoding = body + private.sign(b"cairn/blob/v1\x00" + body)
    return encoding, b2b(encoding)


# Member 2 signs height 4 of epoch 0 twice: seq 1 block A, seq 2 block B (empty vote set).
sig_a, id_a = blob(2, "quorum/sig", 1, bytes(32), 1_700_000_000_000, signature(0, 4, block_a, bytes(32)))
sig_b, id_b = blob(2, "quorum/sig", 2, id_a, 1_700_000_001_000, signature(0, 4, block_b, bytes(32)))
(low, low_enc), (high, high_enc) = sorted([(id_a, sig_a), (id_b, sig_b)])
evidence = bytes([1, 2]) + struct.pack(">I", len(low_enc)) + low_enc + struct.pack(">I", len(high_enc)) + high_enc
evidence_id = b2b(b"cairn/evidence/v1\x00", bytes([2]), low, high)

print(json.dumps({
    "keys": {str(n): PUB[n].hex() for n in PUB},
    "genesis": {"encoding": G_ENC.hex(), "hash": G_HASH.hex()},
    "candidacy": candidacy.hex(),
    "vote_slip": slip.hex(),
    "vote_set": voteset.hex(),
    "signature_a": signature(0, 4, block_a, bytes(32)).hex(),
    "block": {"payload": block_payload.hex(), "block_hash": block_hash.hex()},
    "sig_blob_a": {"encoding": sig_a.hex(), "id": id_a.hex()},
    "sig_blob_b": {"encoding": sig_b.hex(), "id": id_b.hex()},
    "evidence": {"encoding": evidence.hex(), "id": evidence_id.hex()},
    "inputs": {"block_a": block_a.hex(), "block_b": block_b.hex(), "slip_ids": [i.hex() for i in slip_ids],
               "candidacy_ids": [i.hex() for i in cand_ids], "pair": [p.hex() for p in pair]},
}, indent=2))
