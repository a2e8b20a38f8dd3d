#!/usr/bin/env python3
"""Ratification payload vectors for Docs/RATIFY.md, from the byte layout alone (hashlib only, no Cairn code).

Prints a vote, a manifest part and a proposal on the demo genesis (Config/genesis.toml); the Swift tests
(Tests/CairnRatifyTests/RatifyVectorTests.swift) check the Swift encoder against these bytes.
"""
import hashlib
import struct

GENESIS = bytes.fromhex("a36585cc5a7206f0db5f30bed5f63e33ea93dce5c7f4f1f814d25ef1a7ae5e0a")
VERSION = b"\x01"


def b2b(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def show(name: str, payload: bytes) -> None:
    print(f"{name} ({len(payload)} bytes):")
    for i in range(0, len(payload), 32):
        print(payload[i:i + 32].hex())
    print()


root = b2b(b"tree a")
vote = GENESIS + VERSION + root + b"\x01"
part = GENESIS + VERSION + b"manifest bytes"
title = "release 1.0".encode()
parts = [b2b(b"part 1"), b2b(b"part 2")]
proposal = GENESIS + VERSION + root + struct.pack(">H", len(title)) + title + struct.pack(">H", len(parts)) + b"".join(parts)
print(f"root = BLAKE2b-256('tree a') = {root.hex()}\n")
show("vote yes", vote)
show("manifest part 'manifest bytes'", part)
show("proposal 'release 1.0' with parts BLAKE2b-256('part 1'), BLAKE2b-256('part 2')", proposal)
