#!/usr/bin/env python3
"""Mesh benchmark: N real `cairn node` processes on 127.0.0.1, one publisher, SSE arrival times on every node.

Measures, for blobs published from one node at a steady rate:
  - delivery ratio: (blob, receiver) pairs delivered to all N-1 other nodes / expected;
  - time-to-all: per blob, max over the N-1 other nodes of (SSE arrival - POST send time), p50/p90/p99/max;
  - amplification: sum over all nodes of the delta of every cairn_p2p_bytes_out_total counter during the run,
    divided by (payload bytes published x (N-1)); with the breakdown per message type.

Python 3 standard library only. It builds nothing: pass --binary (default .build/release/cairn, built with
`swift build -c release --product cairn`). Every process it starts is stopped (SIGTERM, then SIGKILL after a grace
period) and every temporary directory removed, also on Ctrl-C, exceptions and --timeout. See README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# ----------------------------------------------------------------------------------------------------------------
# Small helpers


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Timeout(Exception):
    """The overall --timeout expired."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise Timeout(f"overall timeout while {what}")


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))  # ceil(p/100 * n)
    return ordered[min(rank, len(ordered)) - 1]


def split_hostport(text: str) -> tuple[str, int]:
    text = text.strip()
    if text.startswith("http://"):
        text = text[len("http://") :]
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process from /proc (Linux); None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# ----------------------------------------------------------------------------------------------------------------
# One node process


class Node:
    def __init__(
        self,
        index: int,
        binary: str,
        root: str,
        config: str,
        peers: list[str],
        files: dict[str, str] | None = None,
        extra_arguments: list[str] | None = None,
        host: str = "127.0.0.1",
        launcher: list[str] | None = None,
    ) -> None:
        """Starts the node. `files` are written into its data directory first (mode 0600; e.g. `node.key`),
        `extra_arguments` go after the `cairn node` flags; the API and the peer listener bind `host` (ports chosen
        by the kernel), and `launcher` (e.g. `ip netns exec NS`) runs the node."""
        self.index = index
        self.data = os.path.join(root, f"node{index}")
        os.makedirs(self.data, mode=0o700)
        with open(os.path.join(self.data, "cairn.toml"), "w") as handle:
            handle.write(config)
        for name, text in (files or {}).items():
            descriptor = os.open(os.path.join(self.data, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(text)
        self.log_path = os.path.join(self.data, "node.log")
        self.log_file = open(self.log_path, "wb")
        arguments = [*(launcher or []), binary, "node", "--data", self.data, "--api", f"{host}:0", "--listen", f"{host}:0"]
        for peer in peers:
            arguments += ["--peer", peer]
        arguments += extra_arguments or []
        self.arguments = arguments
        # Own session: a Ctrl-C in the terminal reaches only this script, which then stops the nodes itself.
        self.process = subprocess.Popen(
            arguments, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.api: tuple[str, int] | None = None
        self.p2p: str | None = None
        self.token: str | None = None

    def wait_started(self, deadline: Deadline, limit: float = 60.0) -> None:
        end = min(deadline.end, time.monotonic() + limit)
        api_path = os.path.join(self.data, "api.addr")
        p2p_path = os.path.join(self.data, "p2p.addr")
        token_path = os.path.join(self.data, "api.token")
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.index} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with open(api_path) as a, open(p2p_path) as p, open(token_path) as t:
                    api, p2p, token = a.read().strip(), p.read().strip(), t.read().strip()
                if api and p2p and token:
                    self.api, self.p2p, self.token = split_hostport(api), p2p, token
                    if self.get_json("/healthz", timeout=2) is not None:
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"node {self.index} did not start in time:\n{self.log_tail()}")

    def connection(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        assert self.api is not None
        return http.client.HTTPConnection(self.api[0], self.api[1], timeout=timeout)

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
        connection = self.connection(timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def get_json(self, path: str, timeout: float = 10.0):
        try:
            status, body = self.get(path, timeout)
        except (OSError, http.client.HTTPException):
            return None
        if status != 200:
            return None
        return json.loads(body)

    def peers(self) -> list[dict]:
        answer = self.get_json("/v1/peers")
        return answer.get("peers", []) if isinstance(answer, dict) else []

    def metrics(self) -> dict[str, float]:
        status, body = self.get("/metrics", timeout=20)
        if status != 200:
            raise RuntimeError(f"node {self.index}: GET /metrics answered {status}")
        return parse_metrics(body.decode("utf-8", "replace"))

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as handle:
                return b"".join(handle.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def cpu_seconds(self) -> float | None:
        return process_cpu_seconds(self.process.pid)


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def parse_metrics(text: str) -> dict[str, float]:
    """Every sample of the Prometheus text format, keyed by `name{labels}` as written."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = METRIC_LINE.match(line)
        if not match:
            continue
        try:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
        except ValueError:
            pass
    return samples


def label(sample: str, name: str) -> str | None:
    match = re.search(name + r'="([^"]*)"', sample)
    return match.group(1) if match else None


# ----------------------------------------------------------------------------------------------------------------
# SSE listener: one thread per node, arrival time of every blob id


BLOB_ID = re.compile(rb'^data: \{.*?"id":"([0-9a-f]{64})"', re.MULTILINE)
EVENT_ID = re.compile(rb"^id: (\d+)$", re.MULTILINE)


class Listener(threading.Thread):
    """Follows one node's `GET /v1/events?topics=TOPICS`; `handle_frames` records what arrived (here: the first
    arrival of every blob id; a subclass may follow other topics)."""

    topics = "blob"

    def __init__(self, node: Node) -> None:
        super().__init__(name=f"sse-{node.index}", daemon=True)
        self.node = node
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.reconnects = 0
        self.replayed_after_reconnect = 0
        self.last_event_id: str | None = None
        self.error: str | None = None
        self._connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        first = True
        while not self.stopping.is_set():
            try:
                self._stream(first)
            except (OSError, http.client.HTTPException, ValueError) as error:
                if self.stopping.is_set():
                    return
                self.error = f"{type(error).__name__}: {error}"
            if self.stopping.is_set():
                return
            first = False
            self.reconnects += 1
            time.sleep(0.05)

    def _stream(self, first: bool) -> None:
        connection = self.node.connection(timeout=None)
        self._connection = connection
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        connection.request("GET", f"/v1/events?topics={self.topics}", headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            raise ValueError(f"GET /v1/events answered {response.status}")
        self.connected.set()
        resumed = not first
        # Read whatever has arrived in one call and scan only complete frames for their `id:` line and the blob id
        # in `data:`: per-line reads and full JSON parsing cost the harness about a core at N = 30 and 100 blobs/s,
        # which then delays the very arrivals it measures.
        pending = b""
        while not self.stopping.is_set():
            chunk = response.read1(65536)
            if not chunk:
                return  # the stream ended (node shutting down, or this client fell behind): reconnect
            now = time.monotonic()
            pending += chunk
            end = pending.rfind(b"\n\n")
            if end < 0:
                continue
            frames, pending = pending[: end + 2], pending[end + 2 :]
            self.handle_frames(frames, now, resumed)
            event_ids = EVENT_ID.findall(frames)
            if event_ids:
                self.last_event_id = event_ids[-1].decode()

    def handle_frames(self, frames: bytes, now: float, resumed: bool) -> None:
        """Complete SSE frames that arrived at `now` (monotonic); `resumed`: on a stream after a reconnect."""
        blob_ids = BLOB_ID.findall(frames)
        with self.lock:
            for raw in blob_ids:
                blob_id = raw.decode()
                if blob_id not in self.arrivals:
                    self.arrivals[blob_id] = now
                    if resumed:
                        self.replayed_after_reconnect += 1

    def count_of(self, ids: set[str]) -> int:
        with self.lock:
            return sum(1 for blob_id in ids if blob_id in self.arrivals)

    def stop(self) -> None:
        self.stopping.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# ----------------------------------------------------------------------------------------------------------------
# Publisher: open loop at a steady rate, several connections so that a slow commit does not stall the schedule


class Publisher:
    def __init__(self, node: Node, count: int, rate: float, size: int, channel: str, workers: int) -> None:
        self.node = node
        self.count = count
        self.rate = rate
        self.size = size
        self.channel = channel
        self.workers = workers
        self.sent_at: list[float | None] = [None] * count
        self.done_at: list[float | None] = [None] * count
        self.ids: list[str | None] = [None] * count
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        base = os.urandom(size)
        self.base = base
        self.start_time = 0.0

    def payload(self, index: int) -> bytes:
        prefix = index.to_bytes(8, "big")
        return prefix + self.base[len(prefix) :] if self.size >= len(prefix) else prefix[: self.size]

    def run(self) -> None:
        self.start_time = time.monotonic() + 0.2
        threads = [threading.Thread(target=self._worker, args=(k,), daemon=True) for k in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)

    def _worker(self, worker: int) -> None:
        connection = self.node.connection(timeout=60)
        path = f"/v1/blobs?channel={self.channel}"
        headers = {
            "Authorization": f"Bearer {self.node.token}",
            "Content-Type": "application/octet-stream",
        }
        for index in range(worker, self.count, self.workers):
            if self.stopping.is_set():
                break
            delay = self.start_time + index / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body = self.payload(index)
            for attempt in range(2):
                try:
                    self.sent_at[index] = time.monotonic()
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                    self.done_at[index] = time.monotonic()
                    if response.status == 201:
                        self.ids[index] = json.loads(answer)["id"]
                    else:
                        with self.lock:
                            self.errors.append(f"blob {index}: {response.status} {answer[:200]!r}")
                    break
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    connection = self.node.connection(timeout=60)
                    if attempt == 1:
                        with self.lock:
                            self.errors.append(f"blob {index}: {type(error).__name__}: {error}")
        connection.close()


# ----------------------------------------------------------------------------------------------------------------
# The cluster


class Cluster:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.root = tempfile.mkdtemp(prefix="cairn-mesh-bench-")
        self.nodes: list[Node] = []
        self.listeners: list[Listener] = []
        self.topology: list[list[int]] = []

    def config_sections(self) -> dict[str, dict[str, str]]:
        """cairn.toml as {section: {key: TOML value}}; a subclass may add keys (--set is applied after)."""
        a = self.args
        sections: dict[str, dict[str, str]] = {
            "storage": {"durable": "true" if a.durable else "false"},
            "gossip": {"heartbeat_ms": str(a.heartbeat_ms)},
            "log": {"level": json.dumps(a.log_level)},
        }
        return sections

    def config(self) -> str:
        sections = self.config_sections()
        for setting in self.args.set or []:
            key, _, value = setting.partition("=")
            section, _, name = key.strip().partition(".")
            if not section or not name or not value:
                raise SystemExit(f"--set expects SECTION.KEY=VALUE (TOML value), got {setting!r}")
            sections.setdefault(section, {})[name] = value.strip()
        return "".join(
            f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()) + "\n"
            for section, keys in sections.items()
        )

    def start(self, deadline: Deadline) -> None:
        rng = random.Random(self.args.seed)
        config = self.config()
        for index in range(self.args.nodes):
            deadline.check("starting nodes")
            earlier = list(range(index))
            chosen = sorted(rng.sample(earlier, rng.randint(1, min(3, index)))) if index else []
            self.topology.append(chosen)
            node = Node(
                index,
                self.args.binary,
                self.root,
                config,
                [self.nodes[i].p2p for i in chosen],
                files=self.node_files(index),
                extra_arguments=self.node_arguments(index),
            )
            self.nodes.append(node)
            node.wait_started(deadline)
        log(f"{len(self.nodes)} nodes started in {self.root}")

    def node_files(self, index: int) -> dict[str, str]:
        """Files to write into node `index`'s data directory before it starts (none here; a subclass's hook)."""
        return {}

    def node_arguments(self, index: int) -> list[str]:
        """More `cairn node` arguments for node `index` (none here; a subclass's hook)."""
        return []

    def wait_connected(self, deadline: Deadline) -> None:
        pending = set(range(len(self.nodes)))
        while pending:
            deadline.check(f"waiting for peers (nodes without a peer: {sorted(pending)})")
            for node in self.nodes:
                if node.process.poll() is not None:
                    raise RuntimeError(f"node {node.index} exited:\n{node.log_tail()}")
            pending = {i for i in pending if len(self.nodes[i].peers()) < 1}
            if pending:
                time.sleep(0.1)
        settle = self.args.settle_heartbeats * self.args.heartbeat_ms / 1000.0
        log(f"every node has a peer; settling {settle:.1f} s ({self.args.settle_heartbeats} heartbeats)")
        time.sleep(min(settle, max(0.0, deadline.remaining())))

    def peer_summary(self) -> dict:
        degrees, mesh_sizes = [], []
        index_of = {}
        for node in self.nodes:
            info = node.get_json("/v1/node")
            if isinstance(info, dict) and info.get("id"):
                index_of[info["id"]] = node.index
        # pushed_by[i]: how many nodes have node i in their eager-push mesh (a node outside every mesh gets small
        # blobs only through lazy `have` and `want`).
        pushed_by = [0] * len(self.nodes)
        for node in self.nodes:
            peers = node.peers()
            degrees.append(len(peers))
            mesh_sizes.append(sum(1 for peer in peers if peer.get("mesh")))
            for peer in peers:
                if peer.get("mesh") and peer.get("id") in index_of:
                    pushed_by[index_of[peer["id"]]] += 1
        return {
            "pushed_by": pushed_by,
            "nodes_in_no_mesh": [i for i, count in enumerate(pushed_by) if count == 0],
            "degree": degrees,
            "mesh": mesh_sizes,
            "degree_median": statistics.median(degrees),
            "degree_min": min(degrees),
            "degree_max": max(degrees),
            "mesh_median": statistics.median(mesh_sizes),
            "mesh_min": min(mesh_sizes),
            "mesh_max": max(mesh_sizes),
        }

    def start_listeners(self, deadline: Deadline) -> None:
        for node in self.nodes:
            listener = Listener(node)
            self.listeners.append(listener)
            listener.start()
        for listener in self.listeners:
            while not listener.connected.wait(0.1):
                deadline.check("connecting SSE listeners")
                if listener.error:
                    raise RuntimeError(f"SSE on node {listener.node.index}: {listener.error}")

    def metrics(self) -> list[dict[str, float]]:
        return [node.metrics() for node in self.nodes]

    def cpu(self) -> list[float | None]:
        return [node.cpu_seconds() for node in self.nodes]

    def stop(self) -> None:
        for listener in self.listeners:
            listener.stop()
        alive = [node for node in self.nodes if node.process.poll() is None]
        for node in alive:
            try:
                node.process.send_signal(signal.SIGTERM)
            except OSError:
                pass
        grace_end = time.monotonic() + self.args.kill_grace
        for node in alive:
            try:
                node.process.wait(timeout=max(0.0, grace_end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        killed = 0
        for node in self.nodes:
            if node.process.poll() is None:
                killed += 1
                try:
                    os.killpg(node.process.pid, signal.SIGKILL)
                except OSError:
                    node.process.kill()
        for node in self.nodes:
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"node {node.index} (pid {node.process.pid}) did not exit after SIGKILL")
            node.log_file.close()
        if killed:
            log(f"{killed} node(s) needed SIGKILL after {self.args.kill_grace:.0f} s")
        if self.args.keep:
            log(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------------------
# The run


def counter_deltas(before: list[dict], after: list[dict], prefix: str) -> dict[str, float]:
    """Sum over nodes of (after - before) for every sample whose name starts with `prefix`, keyed by sample."""
    total: dict[str, float] = {}
    for b, a in zip(before, after):
        for sample, value in a.items():
            if sample.startswith(prefix):
                total[sample] = total.get(sample, 0.0) + value - b.get(sample, 0.0)
    return total


def by_type(deltas: dict[str, float], name: str) -> dict[str, float]:
    result: dict[str, float] = {}
    for sample, value in deltas.items():
        if sample.startswith(name + "{") or sample == name:
            kind = label(sample, "type") or "?"
            result[kind] = result.get(kind, 0.0) + value
    return dict(sorted(result.items(), key=lambda item: -item[1]))


def arrival_figures(
    publisher: Publisher, receivers: list[Listener], sent_within: tuple[float, float] | None = None
) -> tuple[list[float], list[float], list[float], int]:
    """Time-to-all (per blob that reached every receiver), time-to-each (per (blob, receiver) pair) and POST latency,
    in seconds, and the number of blobs that reached every receiver; only blobs sent within `sent_within`
    (monotonic seconds, both ends included) if given."""
    time_to_all, time_to_each, post_latency = [], [], []
    complete = 0
    for index, blob_id in enumerate(publisher.ids):
        if not blob_id:
            continue
        sent = publisher.sent_at[index]
        if sent_within is not None and not sent_within[0] <= sent <= sent_within[1]:
            continue
        if publisher.done_at[index] is not None:
            post_latency.append(publisher.done_at[index] - sent)
        arrivals = []
        for listener in receivers:
            with listener.lock:
                arrival = listener.arrivals.get(blob_id)
            if arrival is not None:
                arrivals.append(arrival)
                time_to_each.append(arrival - sent)
        if len(arrivals) == len(receivers):
            complete += 1
            time_to_all.append(max(arrivals) - sent)
    return time_to_all, time_to_each, post_latency, complete


def loadavg() -> str | None:
    try:
        with open("/proc/loadavg") as handle:
            return " ".join(handle.read().split()[:3])
    except OSError:
        return None


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.timeout)
    load_at_start = loadavg()
    cluster = Cluster(args)
    try:
        started = time.monotonic()
        cluster.start(deadline)
        cluster.wait_connected(deadline)
        peers_before = cluster.peer_summary()
        cluster.start_listeners(deadline)
        time.sleep(0.2)
        publisher_node = cluster.nodes[args.publisher]
        metrics_before = cluster.metrics()
        cpu_before = cluster.cpu()
        harness_cpu_before = time.process_time()
        publisher = Publisher(publisher_node, args.count, args.rate, args.size, "bench", args.publish_connections)
        log(f"publishing {args.count} x {args.size} B at {args.rate:g}/s from node {args.publisher}")
        publish_thread = threading.Thread(target=publisher.run, daemon=True)
        publish_thread.start()
        while publish_thread.is_alive():
            publish_thread.join(0.5)
            if deadline.remaining() <= 0:
                publisher.stopping.set()
                raise Timeout("overall timeout while publishing")
        published_end = time.monotonic()
        ids = {blob_id for blob_id in publisher.ids if blob_id}
        receivers = [listener for index, listener in enumerate(cluster.listeners) if index != args.publisher]
        expected = len(ids) * len(receivers)
        wait_end = min(deadline.end - 5.0, published_end + args.drain_timeout)
        delivered = 0
        while time.monotonic() < wait_end:
            delivered = sum(listener.count_of(ids) for listener in receivers)
            if delivered >= expected:
                break
            time.sleep(0.05)
        drained_at = time.monotonic()
        delivered = sum(listener.count_of(ids) for listener in receivers)
        # One more heartbeat so trailing announcements of the last blobs are counted, then read the counters.
        time.sleep(min(args.heartbeat_ms / 1000.0, max(0.0, deadline.remaining() - 3.0)))
        cpu_after = cluster.cpu()
        harness_cpu = time.process_time() - harness_cpu_before
        metrics_after = cluster.metrics()
        peers_after = cluster.peer_summary()
        measured_end = time.monotonic()

        time_to_all, time_to_each, post_latency, complete = arrival_figures(publisher, receivers)
        per_node = {}
        for listener in receivers:
            lat = []
            for index, blob_id in enumerate(publisher.ids):
                if blob_id:
                    with listener.lock:
                        arrival = listener.arrivals.get(blob_id)
                    if arrival is not None:
                        lat.append(arrival - publisher.sent_at[index])
            per_node[listener.node.index] = {
                "received": len(lat),
                "p50_ms": round(percentile(lat, 50) * 1000, 1) if lat else None,
                "p99_ms": round(percentile(lat, 99) * 1000, 1) if lat else None,
            }
        send_times = [t for t in publisher.sent_at if t is not None]
        schedule_lag = [
            publisher.sent_at[i] - (publisher.start_time + i / args.rate)
            for i in range(args.count)
            if publisher.sent_at[i] is not None
        ]
        publish_span = (max(send_times) - min(send_times)) if len(send_times) > 1 else 0.0
        achieved_rate = (len(send_times) - 1) / publish_span if publish_span > 0 else None

        out_deltas = counter_deltas(metrics_before, metrics_after, "cairn_p2p_bytes_out_total")
        in_deltas = counter_deltas(metrics_before, metrics_after, "cairn_p2p_bytes_in_total")
        other = counter_deltas(metrics_before, metrics_after, "cairn_")
        out_by_type = by_type(out_deltas, "cairn_p2p_bytes_out_total")
        in_by_type = by_type(in_deltas, "cairn_p2p_bytes_in_total")
        bytes_out = sum(out_by_type.values())
        payload_bytes = len(ids) * args.size
        denominator = payload_bytes * (len(cluster.nodes) - 1)
        interesting = [
            "cairn_gossip_duplicates_total",
            "cairn_send_queue_dropped_total",
            "cairn_peers_too_slow_total",
            "cairn_peers_banned_total",
            "cairn_gossip_invalid_blobs_total",
            "cairn_sse_subscribers_dropped_total",
            "cairn_store_blobs_stored_total",
        ]
        node_counters = {name: sum(v for k, v in other.items() if k == name or k.startswith(name + "{")) for name in interesting}
        cpu = [
            (a - b) if a is not None and b is not None else None for a, b in zip(cpu_after, cpu_before)
        ]
        cpu_known = [c for c in cpu if c is not None]
        wall = measured_end - publisher.start_time

        def ms(value: float | None) -> float | None:
            return None if value is None else round(value * 1000.0, 2)

        return {
            "parameters": {
                "nodes": args.nodes,
                "count": args.count,
                "rate": args.rate,
                "size": args.size,
                "heartbeat_ms": args.heartbeat_ms,
                "durable": args.durable,
                "seed": args.seed,
                "publisher": args.publisher,
                "publish_connections": args.publish_connections,
                "set": args.set or [],
                "binary": os.path.abspath(args.binary),
                "config": cluster.config(),
            },
            "machine": {
                "nproc": os.cpu_count(),
                "cpu": cpu_model(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "loadavg_at_start": load_at_start,
                "loadavg_at_end": loadavg(),
            },
            "topology": {
                "bootstrap_peers": cluster.topology,
                "peers_before": peers_before,
                "peers_after": peers_after,
            },
            "published": len(ids),
            "publish_errors": publisher.errors[:20],
            "publish_error_count": len(publisher.errors),
            "achieved_rate": achieved_rate,
            "schedule_lag_ms_max": ms(max(schedule_lag)) if schedule_lag else None,
            "post_latency_ms": {
                "p50": ms(percentile(post_latency, 50)),
                "p99": ms(percentile(post_latency, 99)),
                "max": ms(max(post_latency)) if post_latency else None,
            },
            "delivery": {
                "expected": expected,
                "delivered": delivered,
                "ratio": delivered / expected if expected else None,
                "blobs_complete": complete,
                "drain_seconds": round(drained_at - published_end, 3),
            },
            "time_to_all_ms": {
                "p50": ms(percentile(time_to_all, 50)),
                "p90": ms(percentile(time_to_all, 90)),
                "p99": ms(percentile(time_to_all, 99)),
                "max": ms(max(time_to_all)) if time_to_all else None,
                "blobs": len(time_to_all),
            },
            "per_node": per_node,
            "time_to_each_ms": {
                "p50": ms(percentile(time_to_each, 50)),
                "p90": ms(percentile(time_to_each, 90)),
                "p99": ms(percentile(time_to_each, 99)),
                "max": ms(max(time_to_each)) if time_to_each else None,
            },
            "amplification": bytes_out / denominator if denominator else None,
            "bytes_out_total": bytes_out,
            "payload_bytes": payload_bytes,
            "bytes_out_by_type": out_by_type,
            "amplification_by_type": {k: v / denominator for k, v in out_by_type.items()} if denominator else {},
            "bytes_in_by_type": in_by_type,
            "node_counters": node_counters,
            "sse": {
                "reconnects": sum(listener.reconnects for listener in cluster.listeners),
                "arrivals_after_reconnect": sum(listener.replayed_after_reconnect for listener in cluster.listeners),
            },
            "cpu_seconds": {
                "nodes_total": round(sum(cpu_known), 2),
                "node_max": round(max(cpu_known), 2) if cpu_known else None,
                "publisher_node": round(cpu[args.publisher], 2) if cpu[args.publisher] is not None else None,
                "wall_seconds": round(wall, 2),
                "cores_busy_avg": round(sum(cpu_known) / wall, 2) if wall > 0 else None,
                "harness": round(harness_cpu, 2),
            },
            "setup_seconds": round(publisher.start_time - started, 2),
        }
    finally:
        cluster.stop()


# ----------------------------------------------------------------------------------------------------------------
# Output


def format_table(result: dict) -> str:
    p = result["parameters"]
    lines = []
    add = lines.append
    add(
        f"cairn mesh benchmark: N={p['nodes']} size={p['size']} B rate={p['rate']:g}/s count={p['count']} "
        f"heartbeat={p['heartbeat_ms']} ms durable={'true' if p['durable'] else 'FALSE (benchmark only)'} "
        f"seed={p['seed']}"
    )
    if p["set"]:
        add(f"config overrides: {', '.join(p['set'])}")
    m = result["machine"]
    add(
        f"machine: {m['nproc']} CPU ({m['cpu']}), {m['platform']}; "
        f"load average at start {m['loadavg_at_start']}, at end {m['loadavg_at_end']}"
    )
    t = result["topology"]
    pb, pa = t["peers_before"], t["peers_after"]
    add(
        f"peers per node (before/after): median {pb['degree_median']}/{pa['degree_median']}, "
        f"min {pb['degree_min']}/{pa['degree_min']}, max {pb['degree_max']}/{pa['degree_max']}; "
        f"eager mesh median {pb['mesh_median']}/{pa['mesh_median']}"
    )
    add(
        f"nodes in no peer's eager mesh (before/after): {pb['nodes_in_no_mesh']}/{pa['nodes_in_no_mesh']}; "
        f"pushers per node after: {pa['pushed_by']}"
    )
    slow = {i: v for i, v in result["per_node"].items() if v["p50_ms"] is None or v["p50_ms"] > 500}
    if slow:
        add("receivers with median arrival > 500 ms: " + ", ".join(
            f"node {i} (p50 {v['p50_ms']} ms, {v['received']} blobs)" for i, v in sorted(slow.items())))
    rate = result["achieved_rate"]
    add(
        f"published {result['published']} blobs ({result['publish_error_count']} errors), "
        f"achieved {rate:.1f}/s, max schedule lag {result['schedule_lag_ms_max']} ms, "
        f"POST latency p50 {result['post_latency_ms']['p50']} ms p99 {result['post_latency_ms']['p99']} ms"
        if rate
        else f"published {result['published']} blobs ({result['publish_error_count']} errors)"
    )
    d = result["delivery"]
    ratio = d["ratio"]
    add("")
    add(f"{'metric':<34}{'value':>14}")
    add("-" * 48)
    add(f"{'delivery ratio':<34}{(f'{ratio * 100:.2f} %' if ratio is not None else 'n/a'):>14}")
    pairs = f"{d['delivered']}/{d['expected']}"
    complete = f"{d['blobs_complete']}/{result['published']}"
    add(f"{'  (blob, node) pairs':<34}{pairs:>14}")
    add(f"{'  blobs on all N-1 nodes':<34}{complete:>14}")
    for key in ("p50", "p90", "p99", "max"):
        value = result["time_to_all_ms"][key]
        add(f"{'time-to-all ' + key + ' (ms)':<34}{(f'{value:.1f}' if value is not None else 'n/a'):>14}")
    for key in ("p50", "p99"):
        value = result["time_to_each_ms"][key]
        add(f"{'time-to-each-node ' + key + ' (ms)':<34}{(f'{value:.1f}' if value is not None else 'n/a'):>14}")
    amp = result["amplification"]
    add(f"{'amplification (bytes out/payload)':<34}{(f'{amp:.3f}' if amp is not None else 'n/a'):>14}")
    add("")
    add(f"{'bytes out by message type':<22}{'bytes':>16}{'x payload(N-1)':>16}")
    for kind, value in result["bytes_out_by_type"].items():
        if value:
            add(f"{kind:<22}{int(value):>16}{result['amplification_by_type'][kind]:>16.3f}")
    add(f"{'total':<22}{int(result['bytes_out_total']):>16}{(amp or 0):>16.3f}")
    add("")
    counters = ", ".join(f"{k.replace('cairn_', '')}={int(v)}" for k, v in result["node_counters"].items())
    add(f"node counters (sum of deltas): {counters}")
    s = result["sse"]
    add(f"SSE reconnects: {s['reconnects']} (arrivals recorded after a reconnect: {s['arrivals_after_reconnect']})")
    c = result["cpu_seconds"]
    add(
        f"CPU: nodes used {c['nodes_total']} s over {c['wall_seconds']} s ({c['cores_busy_avg']} cores busy on "
        f"average), busiest node {c['node_max']} s, publisher node {c['publisher_node']} s; this benchmark itself "
        f"{c['harness']} s"
    )
    if result["publish_errors"]:
        add("publish errors: " + "; ".join(result["publish_errors"][:5]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Start N cairn nodes on 127.0.0.1, publish from one at a steady rate, measure delivery, "
        "time-to-all and byte amplification.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--binary", default=".build/release/cairn", help="the cairn executable (not built here)")
    parser.add_argument("--nodes", type=int, default=10, help="number of nodes N (>= 2)")
    parser.add_argument("--count", type=int, default=500, help="blobs to publish")
    parser.add_argument("--rate", type=float, default=100.0, help="blobs per second")
    parser.add_argument("--size", type=int, default=1024, help="payload bytes (e.g. 1024 or 262144)")
    parser.add_argument("--heartbeat-ms", type=int, default=1000, help="gossip.heartbeat_ms (1000 = production)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the bootstrap topology")
    parser.add_argument("--publisher", type=int, default=0, help="index of the publishing node")
    parser.add_argument(
        "--publish-connections", type=int, default=8, help="parallel POST connections (open-loop schedule)"
    )
    parser.add_argument("--settle-heartbeats", type=int, default=3, help="heartbeats to wait once all have a peer")
    parser.add_argument(
        "--drain-timeout", type=float, default=30.0, help="seconds to wait for delivery after the last publish"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="overall bound on the run, in seconds")
    parser.add_argument("--kill-grace", type=float, default=5.0, help="seconds between SIGTERM and SIGKILL")
    parser.add_argument(
        "--no-durable", dest="durable", action="store_false", help="storage.durable = false (stated in the output)"
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="SECTION.KEY=VALUE",
        help="extra cairn.toml setting (TOML value), e.g. gossip.eager_push_max_bytes=16384; repeatable",
    )
    parser.add_argument("--log-level", default="warning", help="log.level of the nodes (logs in each data dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    if args.nodes < 2:
        parser.error("--nodes must be at least 2")
    if not 0 <= args.publisher < args.nodes:
        parser.error("--publisher must name one of the nodes")
    if args.rate <= 0 or args.count < 1 or args.size < 1:
        parser.error("--rate, --count and --size must be positive")
    if not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary} is not an executable; build it with `swift build -c release --product cairn`")

    result = run_guarded(args, run)
    if isinstance(result, int):
        return result
    print(format_table(result))
    write_json(args.json, result)
    return 0


def run_guarded(args: argparse.Namespace, body):
    """Runs `body(args)` with SIGTERM and a SIGALRM backstop (`args.timeout` + 60 s) turned into KeyboardInterrupt,
    so that `body`'s finally blocks stop every node; returns its result, or the exit code (130, or 2 on timeout)."""

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(int(args.timeout) + 60)
    try:
        return body(args)
    except KeyboardInterrupt as error:
        log(f"interrupted ({error}); every node was stopped")
        return 130
    except Timeout as error:
        log(f"{error}; every node was stopped")
        return 2
    finally:
        signal.alarm(0)


def write_json(path: str | None, result: dict) -> None:
    if path:
        with open(path, "w") as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
            handle.write("\n")


if __name__ == "__main__":
    sys.exit(main())
