#!/usr/bin/env python3
"""Stalled event-stream readers: does publishing keep its rate while 500 `GET /v1/events` clients never read?

One real `cairn node` on 127.0.0.1 (mesh_bench.py's Node and Publisher, imported). Each round publishes `--count`
payloads of `--size` bytes as fast as `--publish-connections` keep-alive connections go, twice: once with no event
stream open, once after `--readers` raw sockets (receive buffer 4 KiB) sent `GET /v1/events` and then stopped
reading. The node closes each stalled stream once `api.sse_buffer_events` events wait for it (`--buffer`), so a
round also shows how many it closed and what the node held meanwhile. Prints each round's rates and the median
ratio; exit status 1 when the median ratio is below `--min-ratio` (0.9).

Python 3 standard library only; it builds nothing. The node is stopped and its directory removed on every exit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mesh_bench import Deadline, Node, Publisher, log  # noqa: E402


def publish_rate(node: Node, count: int, size: int, connections: int, channel: str) -> float:
    publisher = Publisher(node, count, rate=1e9, size=size, channel=channel, workers=connections)
    started = time.monotonic()
    publisher.run()
    elapsed = time.monotonic() - started
    if publisher.errors:
        raise RuntimeError(f"{len(publisher.errors)} publishes failed, first: {publisher.errors[0]}")
    return count / elapsed


def open_stalled(node: Node, readers: int) -> list[socket.socket]:
    assert node.api is not None
    sockets = []
    for _ in range(readers):
        stream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stream.settimeout(10)
        stream.connect(node.api)
        stream.sendall(b"GET /v1/events HTTP/1.1\r\nHost: cairn\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = stream.recv(4096)
            if not chunk:
                raise RuntimeError("the node closed a stream before answering")
            head += chunk
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"stream refused: {head.splitlines()[0]!r}")
        sockets.append(stream)
    return sockets


def resident_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/cairn")
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--buffer", type=int, default=1024, help="api.sse_buffer_events")
    parser.add_argument("--publish-connections", type=int, default=8)
    parser.add_argument("--min-ratio", type=float, default=0.9)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="cairn-stalled-")
    config = (
        '[log]\nlevel = "warning"\n'
        f"[api]\nmax_event_streams = {max(1024, args.readers + 16)}\nsse_buffer_events = {args.buffer}\n"
    )
    node = Node(0, args.binary, root, config, [])
    try:
        node.wait_started(Deadline(60))
        ratios = []
        for round_index in range(args.rounds):
            alone = publish_rate(node, args.count, args.size, args.publish_connections, f"alone{round_index}")
            before = node.metrics().get("cairn_sse_subscribers_dropped_total", 0)
            sockets = open_stalled(node, args.readers)
            loaded = publish_rate(node, args.count, args.size, args.publish_connections, f"loaded{round_index}")
            metrics = node.metrics()
            closed = metrics.get("cairn_sse_subscribers_dropped_total", 0) - before
            rss = resident_mib(node.process.pid)
            for stream in sockets:
                stream.close()
            ratios.append(loaded / alone)
            log(
                f"round {round_index + 1}: {alone:,.0f}/s alone, {loaded:,.0f}/s with {args.readers} stalled readers "
                f"(ratio {loaded / alone:.3f}); the node closed {closed:.0f} of them, "
                f"{metrics.get('cairn_sse_streams', 0):.0f} still open, RSS {rss:.0f} MiB"
            )
        median = statistics.median(ratios)
        log(f"median ratio {median:.3f} (target ≥ {args.min_ratio})")
        return 0 if median >= args.min_ratio else 1
    finally:
        node.process.terminate()
        try:
            node.process.wait(10)
        except Exception:
            node.process.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
