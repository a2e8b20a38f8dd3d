#!/usr/bin/env python3
"""Writes the seed inputs of each fuzz target under Fuzz/corpus/TARGET/ from the test vectors of Docs/PROTOCOL.md
(blob vectors 1-3, the transport vectors, the Negentropy vectors), in each target's input layout (see the target's
doc comment). Standard library only. Run from anywhere; `scripts/fuzz merge` then keeps what adds coverage."""
import pathlib
import re
import struct

root = pathlib.Path(__file__).resolve().parent.parent
spec = (root / "Docs" / "PROTOCOL.md").read_text()


def blob_vector(number):
    section = spec.split(f"### Vector {number}\n", 1)[1]
    block = section.split("```", 2)[1]
    return bytes.fromhex("".join(block.split()))


transport = dict(re.findall(r"^([a-z0-9_]+): ([0-9a-f]+)$", spec.split("<!-- test-vectors:begin -->")[1]
                            .split("<!-- test-vectors:end -->")[0], re.M))
t = {key: bytes.fromhex(value) for key, value in transport.items()}
blobs = [blob_vector(n) for n in (1, 2, 3)]


def u32(n):
    return struct.pack(">I", n)


def evidence(kind, a, b):
    return bytes([1, kind]) + u32(len(a)) + a + u32(len(b)) + b


def piece(data):
    assert len(data) < 256
    return bytes([len(data)]) + data


negentropy = [bytes.fromhex(h) for h in [
    "61876a000142b5d6e9a824e972398bfe0b80a84fb202000125cb5fe12a86a75be6c1207375d9712700000124389a9159dc9772c4be23f1219ae590",
    "61876a00000200020000000202" + "cc" * 32 + "dd" * 32,
    "6183750210010126b2fe578c2da517a427099e5418f147010120014010c292217dd20a2096ec753dffb215010130012792ba1c84ed8dbe7"
    "22d7261460427aa00000172361c6bf9d310195207a55020d24f6e",
    "610000020001",
    "6100000200",
    "61000002" + "01" + "ee" * 32,
    "62aabbccddeeff",
    "61",
]]
messages = [value for key, value in t.items() if key.startswith("message_")]
messages += [bytes.fromhex("010a1e14"), bytes.fromhex("010b0000000161"), b"\x01\x01" + u32(len(blobs[0])) + blobs[0]]
splitter = bytes([7, 1, 63, 2, 9, 30, 4, 5])

seeds = {
    "FuzzBlobDecoder": blobs,
    "FuzzEvidenceDecoder": [evidence(1, blobs[0], blobs[1]), evidence(2, blobs[0], blobs[2]),
                            evidence(1, blobs[1], blobs[0])],
    "FuzzMessage": messages,
    "FuzzRecord": [
        bytes([0]) + splitter + t["record_i2r_0"] + t["record_i2r_1"],
        bytes([1]) + splitter + bytes([0, 0, 0]) + piece(t["record_i2r_0_plaintext"]) + piece(t["record_i2r_1_plaintext"]),
        bytes([1]) + splitter + bytes([0, 9, 0x80]) + piece(t["record_i2r_0_plaintext"]) + piece(b""),
    ],
    "FuzzHandshakeResponder": [
        bytes([0]) + t["message1"] + t["message3"] + t["record_i2r_0"],
        bytes([1, len(t["message3"])]) + t["message3"] + bytes([64, 1, 47]),
        bytes([2, 0, 0, 0, 3, 17, 64]),
        bytes([2, 0, 70, 1]),
    ],
    "FuzzHandshakeInitiator": [
        bytes([0]) + struct.pack(">H", len(t["message2"])) + t["message2"] + bytes([5, 64, 1]),
        bytes([1, 0, 0, 0]),
        bytes([1, 0, 100, 0x10]),
    ],
    "FuzzReconcile": negentropy,
    "FuzzReplica": [
        b"".join(piece(m) for m in messages if len(m) < 256),
        piece(bytes.fromhex("010b") + u32(len(negentropy[3])) + negentropy[3]) + piece(b"\xff\x32"),
        piece(b"\x01\x01" + u32(len(blobs[1])) + blobs[1]) + piece(b"\xff\xff") + piece(b"\xff\xff"),
    ],
}

for target, inputs in seeds.items():
    directory = root / "Fuzz" / "corpus" / target
    directory.mkdir(parents=True, exist_ok=True)
    for index, data in enumerate(inputs):
        (directory / f"seed-{index}").write_bytes(data)
    print(f"{target}: {len(inputs)} seeds")
