#!/usr/bin/env python3
"""Independent reference for Cairn's tree hash (Docs/PROTOCOL.md §7): walks a directory, writes its canonical
manifest and computes its root. Only the standard library (hashlib for BLAKE2b); no Cairn code.

  tree-vectors.py        builds the vector tree of §7.6 in a temporary directory and prints its vectors as JSON
  tree-vectors.py DIR    prints DIR's manifest (hex) and root as JSON

Tests/CairnRatifyTests checks that the Swift implementation produces the same bytes and root."""
import hashlib
import json
import os
import stat
import struct
import sys
import tempfile

TAG = b"cairn/tree/v1\x00"
LEAF, NODE, ROOT = b"\x00", b"\x01", b"\x02"
MODE_FILE, MODE_EXECUTABLE, MODE_SYMLINK = 0, 1, 2
MAX_PATH_BYTES = 4096
VERSION = 1


def b2b(*parts):
    h = hashlib.blake2b(digest_size=32)
    for p in parts:
        h.update(p)
    return h.digest()


def check_path(path):
    """The path rules of §7.1; raises ValueError naming the path."""
    text = path.decode("utf-8")  # strict: refuses overlong forms, surrogates and truncated sequences
    if not 1 <= len(path) <= MAX_PATH_BYTES:
        raise ValueError(f"{text!r}: path length {len(path)}")
    if any(c <= "\x1f" or "\x7f" <= c <= "\x9f" for c in text):
        raise ValueError(f"{text!r}: control character")
    if any(part in ("", ".", "..") for part in text.split("/")):
        raise ValueError(f"{text!r}: empty, '.' or '..' component")


def content_hash(path):
    h = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.digest()


def walk(root, prefix=b""):
    """Yields (path, mode, content hash) for every file and symlink under root; empty directories add nothing."""
    for entry in os.scandir(os.path.join(root, prefix) if prefix else root):
        path = prefix + b"/" + entry.name if prefix else entry.name
        check_path(path)
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            yield path, MODE_SYMLINK, b2b(os.readlink(entry.path))
        elif stat.S_ISDIR(info.st_mode):
            yield from walk(root, path)
        elif stat.S_ISREG(info.st_mode):
            mode = MODE_EXECUTABLE if info.st_mode & stat.S_IXUSR else MODE_FILE
            yield path, mode, content_hash(entry.path)
        else:
            raise ValueError(f"{path!r}: neither a file, a directory nor a symlink")


def entry_encoding(path, mode, content):
    return struct.pack(">H", len(path)) + path + bytes([mode]) + content


def manifest(entries):
    return bytes([VERSION]) + struct.pack(">I", len(entries)) + b"".join(entry_encoding(*e) for e in entries)


def mth(leaves):
    """RFC 6962 §2.1 Merkle tree hash over leaf hashes: split at the largest power of two below n."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return b2b(TAG, NODE, mth(leaves[:k]), mth(leaves[k:]))


def root(entries):
    leaves = [b2b(TAG, LEAF, entry_encoding(*e)) for e in entries]
    top = mth(leaves) if leaves else bytes(32)
    return b2b(TAG, ROOT, struct.pack(">I", len(entries)), top)


def describe(directory):
    # Sorted by the whole path's bytes, so "src.keep" (2e) comes before "src/café.txt" (2f).
    entries = sorted(walk(os.fsencode(directory)))
    return {
        "entries": [{"path": p.decode(), "mode": m, "content": c.hex(),
                     "leaf": b2b(TAG, LEAF, entry_encoding(p, m, c)).hex()} for p, m, c in entries],
        "manifest": manifest(entries).hex(),
        "root": root(entries).hex(),
    }


def build_vector_tree(directory):
    """§7.6: four files (one empty, one executable, one in a subdirectory), a symlink and an empty directory."""
    def write(name, data, mode=0o644):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(directory, name), mode)

    os.mkdir(os.path.join(directory, "src"))
    os.mkdir(os.path.join(directory, "logs"))
    write("README.md", b"Cairn tree hash vector\n")
    write("build.sh", b"#!/bin/sh\necho built\n", 0o755)
    write("src.keep", b"")
    write("src/caf\u00e9.txt", "\u00fcn\u00efcode\n".encode())
    os.symlink("build.sh", os.path.join(directory, "latest"))


if __name__ == "__main__":
    if len(sys.argv) == 2:
        print(json.dumps(describe(sys.argv[1]), indent=2, ensure_ascii=False))
    else:
        with tempfile.TemporaryDirectory() as tree:
            build_vector_tree(tree)
            vectors = describe(tree)
        vectors["empty_tree_root"] = root([]).hex()
        print(json.dumps(vectors, indent=2, ensure_ascii=False))
