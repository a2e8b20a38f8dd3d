#!/usr/bin/env python3
"""Quorum alert benchmark: how long a double sign takes to reach every node's alert and switch, under load.

N real `cairn node` processes on 127.0.0.1 (mesh_bench.py's cluster, publisher and SSE listeners, imported) run a
quorum network whose genesis this script writes: every node's key is a stake holder, `--quorum-size` of them form
epoch 0. While one node publishes 1 KiB blobs at a steady rate, the members decide heights 1…H through
`POST /v1/quorum/signatures`; then one member signs two blocks for height H + 1, both after its channel's tip,
signed offline with `cairn blob sign`, and the halves are posted at once to two different non-member nodes.

Measured from t0, the moment the second POST is sent, on every node's `GET /v1/events?topics=equivocation,election`
stream (opened before the double sign):
  - alert: arrival of the node's `equivocation` event;
  - switch: arrival of its `election` event with `"event": "elected"` for the new epoch;
and, from the same run, the background blobs' time-to-all. The run fails (exit 1) unless every node's
`GET /v1/quorum` ends with the same evidence id, epoch and members, and those are the expected ones.

Python 3 standard library only; it builds nothing. Every process it starts is stopped and every temporary directory
removed, also on Ctrl-C, exceptions and --timeout. See README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mesh_bench as mesh  # noqa: E402  (the directory is on the path only now)
from mesh_bench import Deadline, Timeout, log, percentile  # noqa: E402

SIGNATURE_CHANNEL = "quorum/sig"
# --trace: the quorum streams also carry these, so each node's own order of events is exact (a diagnosis, not figures).
TRACE_TOPICS = "equivocation,election,evidence,chain,blob"
SIGNATURE_VERSION = 0x01
EMPTY_VOTE_SET = bytes(32)
COINS_PER_HOLDER = 100
# No `stalled` alert during a run: the new epoch is never asked to decide.
STALL_ALERT_MS = 3_600_000


class CheckFailed(Exception):
    """The nodes did not end in the same, expected quorum state."""


def block_hash(height: int, variant: str = "") -> bytes:
    """The application's block at `height` (`variant` makes a conflicting one)."""
    return hashlib.blake2b(f"quorum bench block {height}{variant}".encode(), digest_size=32).digest()


def signature_payload(genesis: bytes, epoch: int, height: int, block: bytes) -> bytes:
    """Docs/QUORUM.md §2 "Signature": genesis hash, version, epoch, height, block hash, vote set id (empty)."""
    payload = (
        genesis
        + bytes([SIGNATURE_VERSION])
        + epoch.to_bytes(8, "big")
        + height.to_bytes(8, "big")
        + block
        + EMPTY_VOTE_SET
    )
    assert len(payload) == 113
    return payload


def post(node: mesh.Node, path: str, body: bytes, content_type: str, timeout: float = 30.0) -> tuple[int, dict]:
    connection = node.connection(timeout)
    try:
        connection.request(
            "POST", path, body=body, headers={"Authorization": f"Bearer {node.token}", "Content-Type": content_type}
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(answer)
    except ValueError:
        return response.status, {"raw": answer[:200].decode("utf-8", "replace")}


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 2)


def stats(values: list[float]) -> dict:
    return {
        "p50": ms(percentile(values, 50)),
        "p99": ms(percentile(values, 99)),
        "max": ms(max(values)) if values else None,
        "count": len(values),
    }


# ----------------------------------------------------------------------------------------------------------------
# The quorum's event stream of one node


class QuorumWatcher(mesh.Listener):
    """`GET /v1/events?topics=TOPICS` of one node (by default `equivocation,election`): every event with its arrival
    time."""

    def __init__(self, node: mesh.Node, topics: str = "equivocation,election") -> None:
        super().__init__(node)
        self.topics = topics
        self.events: list[tuple[float, str, dict]] = []

    def handle_frames(self, frames: bytes, now: float, resumed: bool) -> None:
        for frame in frames.split(b"\n\n"):
            topic, data = None, None
            for line in frame.split(b"\n"):
                if line.startswith(b"event:"):
                    topic = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    data = json.loads(line[5:].strip())
            if topic and isinstance(data, dict):
                with self.lock:
                    self.events.append((now, topic, data))
                    if resumed:
                        self.replayed_after_reconnect += 1

    def first(self, topic: str, **fields: str) -> tuple[float, dict] | None:
        """The first event of `topic` whose data has all of `fields`: (arrival, data)."""
        with self.lock:
            for arrival, event_topic, data in self.events:
                if event_topic == topic and all(data.get(k) == v for k, v in fields.items()):
                    return arrival, data
        return None


# ----------------------------------------------------------------------------------------------------------------
# A quorum network: genesis, keys and roles


class QuorumCluster(mesh.Cluster):
    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        rng = random.Random(f"quorum-alert {args.seed}")
        self.seeds = [rng.randbytes(32) for _ in range(args.nodes)]
        others = [i for i in range(args.nodes) if i != args.publisher]
        self.members = sorted(rng.sample(others, args.quorum_size))
        self.offender = rng.choice(self.members)
        self.targets = rng.sample([i for i in others if i not in self.members], 2)
        self.keys_dir = os.path.join(self.root, "keys")
        self.genesis_path = os.path.join(self.root, "genesis.toml")
        self.public_keys: list[str] = []

    def key_file(self, index: int) -> str:
        return os.path.join(self.keys_dir, f"node{index}.key")

    def write_genesis(self) -> None:
        """Key files (64-hex seeds, 0600) and their public keys by `cairn key show`, then the genesis."""
        os.makedirs(self.keys_dir, mode=0o700)
        for index, seed in enumerate(self.seeds):
            descriptor = os.open(self.key_file(index), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(seed.hex() + "\n")
            shown = subprocess.run(
                [self.args.binary, "key", "show", self.key_file(index)], capture_output=True, text=True, timeout=30
            )
            if shown.returncode != 0:
                raise RuntimeError(f"cairn key show failed: {shown.stderr.strip()}")
            self.public_keys.append(shown.stdout.strip())
        initial = ", ".join(json.dumps(self.public_keys[i]) for i in self.members)
        stake = "".join(f"{key} = {COINS_PER_HOLDER}\n" for key in self.public_keys)
        with open(self.genesis_path, "w") as handle:
            handle.write(
                f"# Written by Benchmarks/mesh/quorum_alert.py: every node's key holds stake.\n"
                f"network = {json.dumps(self.args.network)}\n"
                f"quorum_size = {self.args.quorum_size}\n"
                f"epoch_length_heights = 1000\n"
                f"stall_alert_ms = {STALL_ALERT_MS}\n"
                f"initial_quorum = [{initial}]\n\n[stake]\n{stake}"
            )

    def config_sections(self) -> dict[str, dict[str, str]]:
        sections = super().config_sections()
        sections.setdefault("node", {}).update(
            {"network": json.dumps(self.args.network), "genesis": json.dumps(self.genesis_path)}
        )
        return sections

    def node_files(self, index: int) -> dict[str, str]:
        return {"node.key": self.seeds[index].hex() + "\n"}

    def role(self, index: int) -> str:
        if index == self.offender:
            return "offender"
        if index in self.members:
            return "member"
        if index in self.targets:
            return f"half {self.targets.index(index) + 1}"
        if index == self.args.publisher:
            return "publisher"
        return ""


def quorum_of(node: mesh.Node) -> dict:
    answer = node.get_json("/v1/quorum")
    if not isinstance(answer, dict):
        raise RuntimeError(f"node {node.index}: GET /v1/quorum failed")
    return answer


def machine_ticks() -> tuple[int, int] | None:
    """(busy, all) CPU ticks of the whole machine from /proc/stat (Linux); None elsewhere. Per process, /proc counts
    in 10 ms ticks, too coarse for a 100 ms window over 30 processes; the machine's counter is exact to one tick."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def cores_busy(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] == before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1), 2)


def wait_for(what: str, deadline: Deadline, condition, interval: float = 0.05) -> None:
    while not condition():
        deadline.check(what)
        time.sleep(interval)


# ----------------------------------------------------------------------------------------------------------------
# Steps


def decide_heights(cluster: QuorumCluster, heights: int, deadline: Deadline) -> list[float]:
    """Each member signs heights 1…`heights` in order, height h only once h − 1 is decided at its own node; returns,
    per height, the seconds from its first signature request to its `decided` event at the last node.

    Decisions are followed on `topics=decided` streams, opened here and closed before the double sign: polling
    `GET /v1/quorum` (about 0.8 ms of a node's CPU per request) from 15 members overloaded 30 nodes on 2 cores."""
    streams = [QuorumWatcher(node, topics="decided") for node in cluster.nodes]
    for stream in streams:
        stream.start()
    first_request: dict[int, float] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def decided(stream: QuorumWatcher, height: int) -> float | None:
        event = stream.first("decided", height=str(height))
        return event[0] if event else None

    def member(index: int) -> None:
        node = cluster.nodes[index]
        try:
            for height in range(1, heights + 1):
                while height > 1 and decided(streams[index], height - 1) is None:
                    if deadline.remaining() <= 0 or errors:
                        return
                    time.sleep(0.005)
                body = json.dumps({"height": str(height), "block": block_hash(height).hex()}).encode()
                while True:
                    with lock:
                        first_request.setdefault(height, time.monotonic())
                    status, answer = post(node, "/v1/quorum/signatures", body, "application/json")
                    if status == 201:
                        break
                    if status != 503 or deadline.remaining() <= 0:
                        raise RuntimeError(f"POST /v1/quorum/signatures height {height}: {status} {answer}")
                    time.sleep(0.05)
        except Exception as error:  # reported by the main thread
            with lock:
                errors.append(f"member node {index}: {type(error).__name__}: {error}")

    try:
        for stream in streams:
            while not stream.connected.wait(0.1):
                deadline.check("connecting the decided streams")
                if stream.error:
                    raise RuntimeError(f"SSE on node {stream.node.index}: {stream.error}")
        threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in cluster.members]
        for thread in threads:
            thread.start()
        decided_at: list[float] = []
        for height in range(1, heights + 1):
            while True:
                if errors:
                    raise RuntimeError("; ".join(errors))
                arrivals = [decided(stream, height) for stream in streams]
                if None not in arrivals:
                    break
                pending = [i for i, arrival in enumerate(arrivals) if arrival is None]
                deadline.check(f"deciding height {height} (not yet at nodes {pending})")
                time.sleep(0.02)
            decided_at.append(max(arrivals) - first_request[height])
        for thread in threads:
            thread.join(5)
        if errors:
            raise RuntimeError("; ".join(errors))
        return decided_at
    finally:
        for stream in streams:
            stream.stop()


def sign_halves(cluster: QuorumCluster, genesis: bytes, height: int) -> list[tuple[str, bytes]]:
    """The offender's two signatures for (epoch 0, `height`), both after its channel's tip (same seq, same prev),
    signed with `cairn blob sign`: [(blob id, signed encoding)] for blocks `height`a and `height`b."""
    author = cluster.public_keys[cluster.offender]
    listing = cluster.nodes[cluster.offender].get_json(f"/v1/channels/{author}/{SIGNATURE_CHANNEL}?limit=1000")
    blobs = listing.get("blobs", []) if isinstance(listing, dict) else []
    if not blobs:
        raise RuntimeError(f"the offender's {SIGNATURE_CHANNEL} channel is empty at its node")
    tip = blobs[-1]
    timestamp = str(int(time.time() * 1000))
    halves = []
    for variant in ("a", "b"):
        payload_path = os.path.join(cluster.root, f"double-sign-{variant}.payload")
        out_path = os.path.join(cluster.root, f"double-sign-{variant}.blob")
        with open(payload_path, "wb") as handle:
            handle.write(signature_payload(genesis, 0, height, block_hash(height, variant)))
        arguments = [
            cluster.args.binary, "blob", "sign", "--key", cluster.key_file(cluster.offender),
            "--channel", SIGNATURE_CHANNEL, "--seq", str(int(tip["seq"]) + 1), "--prev", tip["id"],
            "--timestamp", timestamp, "--out", out_path, payload_path,
        ]  # fmt: skip
        signed = subprocess.run(arguments, capture_output=True, text=True, timeout=30)
        if signed.returncode != 0:
            raise RuntimeError(f"cairn blob sign failed: {signed.stderr.strip()}")
        with open(out_path, "rb") as handle:
            halves.append((signed.stdout.strip(), handle.read()))
    return halves


def post_halves(cluster: QuorumCluster, halves: list[tuple[str, bytes]]) -> tuple[float, list[dict]]:
    """Posts the halves at once to the two target nodes over connections opened beforehand; returns t0 (the later of
    the two send instants) and what each POST answered."""
    barrier = threading.Barrier(len(halves))
    results: list[dict] = [{} for _ in halves]

    def send(slot: int) -> None:
        node = cluster.nodes[cluster.targets[slot]]
        connection = node.connection(timeout=30)
        headers = {"Authorization": f"Bearer {node.token}", "Content-Type": "application/octet-stream"}
        try:
            connection.connect()
            barrier.wait(10)
            sent = time.monotonic()
            connection.request("POST", "/v1/blobs/signed", body=halves[slot][1], headers=headers)
            response = connection.getresponse()
            answer = response.read()
            results[slot] = {"node": node.index, "sent": sent, "answered": time.monotonic(), "status": response.status,
                             "answer": json.loads(answer) if answer else None}  # fmt: skip
        except (OSError, http.client.HTTPException, ValueError, threading.BrokenBarrierError) as error:
            results[slot] = {"node": node.index, "error": f"{type(error).__name__}: {error}"}
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(slot,), daemon=True) for slot in range(len(halves))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for result in results:
        if result.get("status") not in (200, 201):
            raise RuntimeError(f"posting a half of the double sign failed: {result}")
    return max(result["sent"] for result in results), results


def check_final_state(cluster: QuorumCluster, halves: list[tuple[str, bytes]], heights: int) -> tuple[dict, list[str]]:
    """Every node's `GET /v1/quorum`: one equivocation (the offender's, the two halves), epoch 1 from height H + 1
    whose members are epoch 0's without the offender, all the same at every node. Returns the agreed state and the
    disagreements (empty if none)."""
    offender = cluster.public_keys[cluster.offender]
    expected_members = sorted(cluster.public_keys[i] for i in cluster.members if i != cluster.offender)
    expected_halves = sorted(blob_id for blob_id, _ in halves)
    seen: dict[str, set] = {"evidence": set(), "epoch": set(), "members": set()}
    problems: list[str] = []
    for node in cluster.nodes:
        status = quorum_of(node)
        equivocations = status.get("equivocations", [])
        epoch = status.get("epoch", {})
        evidence = equivocations[0].get("evidence") if len(equivocations) == 1 else None
        seen["evidence"].add(evidence)
        seen["epoch"].add((epoch.get("epoch"), epoch.get("start")))
        seen["members"].add(tuple(epoch.get("members", [])))
        if len(equivocations) != 1:
            problems.append(f"node {node.index}: {len(equivocations)} equivocations")
            continue
        found = equivocations[0]
        if found.get("author") != offender or sorted([found.get("first"), found.get("second")]) != expected_halves:
            problems.append(f"node {node.index}: equivocation {found} is not the offender's two halves")
        if epoch.get("epoch") != "1" or epoch.get("start") != str(heights + 1):
            problems.append(f"node {node.index}: running epoch {epoch.get('epoch')} from {epoch.get('start')}")
        if sorted(epoch.get("members", [])) != expected_members:
            problems.append(f"node {node.index}: members {epoch.get('members')}")
        if status.get("lastDecidedHeight") != str(heights):
            problems.append(f"node {node.index}: last decided height {status.get('lastDecidedHeight')}")
    for what, values in seen.items():
        if len(values) != 1:
            problems.append(f"the nodes disagree on {what}: {sorted(map(str, values))}")
    agreed = {
        "evidence": next(iter(seen["evidence"])) if len(seen["evidence"]) == 1 else None,
        "epoch": "1",
        "start": str(heights + 1),
        "members": expected_members,
        "offender": offender,
        "halves": expected_halves,
    }
    return agreed, problems


# ----------------------------------------------------------------------------------------------------------------
# The run


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.timeout)
    load_at_start = mesh.loadavg()
    cluster = QuorumCluster(args)
    watchers: list[QuorumWatcher] = []
    publisher: mesh.Publisher | None = None
    publish_thread: threading.Thread | None = None
    try:
        started = time.monotonic()
        cluster.write_genesis()
        cluster.start(deadline)
        cluster.wait_connected(deadline)
        peers_before = cluster.peer_summary()
        cluster.start_listeners(deadline)
        for node in cluster.nodes:
            watcher = QuorumWatcher(node, topics=TRACE_TOPICS if args.trace else "equivocation,election")
            watchers.append(watcher)
            watcher.start()
        for watcher in watchers:
            while not watcher.connected.wait(0.1):
                deadline.check("connecting the quorum watchers")
                if watcher.error:
                    raise RuntimeError(f"SSE on node {watcher.node.index}: {watcher.error}")
        wait_for(
            "waiting for every quorum plug-in to finish its replay",
            deadline,
            lambda: all((node.get_json("/v1/quorum") or {}).get("replaying") is False for node in cluster.nodes),
        )
        genesis_hashes = {quorum_of(node)["genesis"] for node in cluster.nodes}
        if len(genesis_hashes) != 1:
            raise RuntimeError(f"the nodes report different genesis hashes: {genesis_hashes}")
        genesis = bytes.fromhex(genesis_hashes.pop())

        # Background load: an open-loop publisher, long enough for every step; stopped once they are done.
        count = int(args.rate * args.timeout)
        publisher = mesh.Publisher(
            cluster.nodes[args.publisher], count, args.rate, args.size, "bench", args.publish_connections
        )
        cpu_before = cluster.cpu()
        harness_cpu_before = time.process_time()
        publish_thread = threading.Thread(target=publisher.run, daemon=True)
        publish_thread.start()
        log(f"background: {args.size} B at {args.rate:g}/s from node {args.publisher}; warming up {args.warmup:g} s")
        time.sleep(args.warmup)

        log(f"members {cluster.members} decide heights 1-{args.heights}")
        decided = decide_heights(cluster, args.heights, deadline)
        ticks_pause = machine_ticks()
        time.sleep(args.pause)

        height = args.heights + 1
        halves = sign_halves(cluster, genesis, height)
        log(
            f"node {cluster.offender} (member) double-signs height {height}: halves to nodes "
            f"{cluster.targets[0]} and {cluster.targets[1]}"
        )
        load_at_t0 = mesh.loadavg()
        ticks_t0 = machine_ticks()
        t0, posted = post_halves(cluster, halves)

        def arrivals() -> tuple[list[float | None], list[float | None]]:
            alert = [w.first("equivocation") for w in watchers]
            switch = [w.first("election", event="elected", epoch="1") for w in watchers]
            return [a[0] if a else None for a in alert], [s[0] if s else None for s in switch]

        alert_end = min(deadline.end - 10.0, time.monotonic() + args.alert_timeout)
        while time.monotonic() < alert_end:
            alert_at, switch_at = arrivals()
            if None not in alert_at and None not in switch_at:
                break
            time.sleep(0.02)
        ticks_switched = machine_ticks()
        window_wall = time.monotonic() - t0
        alert_at, switch_at = arrivals()
        missing_alert = [i for i, a in enumerate(alert_at) if a is None]
        missing_switch = [i for i, s in enumerate(switch_at) if s is None]
        time.sleep(min(args.tail, max(0.0, deadline.remaining() - 10.0)))
        publisher.stopping.set()
        publish_thread.join(30)
        published_end = time.monotonic()
        cpu_after = cluster.cpu()
        harness_cpu = time.process_time() - harness_cpu_before

        # Background delivery: wait for the last blobs like mesh_bench.py, then the same figures.
        ids = {blob_id for blob_id in publisher.ids if blob_id}
        receivers = [listener for i, listener in enumerate(cluster.listeners) if i != args.publisher]
        expected = len(ids) * len(receivers)
        drain_end = min(deadline.end - 5.0, published_end + args.drain_timeout)
        while time.monotonic() < drain_end and sum(r.count_of(ids) for r in receivers) < expected:
            time.sleep(0.05)
        delivered = sum(r.count_of(ids) for r in receivers)
        time_to_all, _, post_latency, complete = mesh.arrival_figures(publisher, receivers)
        window = (t0 - args.window_before, t0 + args.window_after)
        window_all, _, _, window_complete = mesh.arrival_figures(publisher, receivers, sent_within=window)

        agreed, problems = check_final_state(cluster, halves, args.heights)
        if missing_alert:
            problems.append(f"no equivocation event within {args.alert_timeout:g} s at nodes {missing_alert}")
        if missing_switch:
            problems.append(f"no elected event for epoch 1 within {args.alert_timeout:g} s at nodes {missing_switch}")
        for watcher in watchers:
            event = watcher.first("equivocation")
            if event and event[1].get("evidence") != agreed["evidence"]:
                problems.append(f"node {watcher.node.index}: equivocation event names {event[1].get('evidence')}")
            elected = watcher.first("election", event="elected", epoch="1")
            if elected and sorted(elected[1].get("members", "").split(",")) != agreed["members"]:
                problems.append(f"node {watcher.node.index}: elected event members {elected[1].get('members')}")
        load_at_end = mesh.loadavg()

        alert = [a - t0 for a in alert_at if a is not None]
        switch = [s - t0 for s in switch_at if s is not None]
        # Where the time goes: when each node's `blob` stream showed both halves (the listener records every blob id,
        # the halves' too; a node holds them from its own half and gossip, or from recording the evidence).
        both_at: list[float | None] = []
        for listener in cluster.listeners:
            with listener.lock:
                seen = [listener.arrivals.get(blob_id) for blob_id, _ in halves]
            both_at.append(max(seen) if None not in seen else None)
        both = [a - t0 for a in both_at if a is not None]
        per_node = [
            {
                "node": i,
                "role": cluster.role(i),
                "both_halves_ms": ms(both_at[i] - t0) if both_at[i] is not None else None,
                "alert_ms": ms(alert_at[i] - t0) if alert_at[i] is not None else None,
                "switch_ms": ms(switch_at[i] - t0) if switch_at[i] is not None else None,
            }
            for i in range(len(cluster.nodes))
        ]
        sent = [t for t in publisher.sent_at if t is not None]
        span = max(sent) - min(sent) if len(sent) > 1 else 0.0
        cpu = [(a - b) for a, b in zip(cpu_after, cpu_before) if a is not None and b is not None]
        wall = published_end - publisher.start_time
        background_p99 = percentile(time_to_all, 99)
        target = background_p99 + args.target_margin_ms / 1000.0 if background_p99 is not None else None
        return {
            "parameters": {
                "nodes": args.nodes,
                "quorum_size": args.quorum_size,
                "heights": args.heights,
                "rate": args.rate,
                "size": args.size,
                "heartbeat_ms": args.heartbeat_ms,
                "durable": args.durable,
                "seed": args.seed,
                "publisher": args.publisher,
                "set": args.set or [],
                "binary": os.path.abspath(args.binary),
                "network": args.network,
            },
            "machine": {
                "nproc": os.cpu_count(),
                "cpu": mesh.cpu_model(),
                "loadavg_at_start": load_at_start,
                "loadavg_at_t0": load_at_t0,
                "loadavg_at_end": load_at_end,
            },
            "roles": {
                "members": cluster.members,
                "offender": cluster.offender,
                "halves_to": cluster.targets,
                "offender_key": cluster.public_keys[cluster.offender],
            },
            "peers_before": {k: peers_before[k] for k in ("degree_median", "degree_min", "degree_max", "mesh_median")},
            "heights_decided_s": [round(d, 3) for d in decided],
            "double_sign": {
                "height": height,
                "halves": [blob_id for blob_id, _ in halves],
                "send_skew_ms": ms(abs(posted[0]["sent"] - posted[1]["sent"])),
                "post_latency_ms": [ms(p["answered"] - p["sent"]) for p in posted],
                "post_evidence": [p["answer"].get("evidence") for p in posted],
            },
            "alert_ms": stats(alert),
            "switch_ms": stats(switch),
            "both_halves_ms": stats(both),
            "per_node": per_node,
            "background": {
                "published": len(ids),
                "achieved_rate": round((len(sent) - 1) / span, 1) if span > 0 else None,
                "delivery_ratio": delivered / expected if expected else None,
                "blobs_complete": complete,
                "time_to_all_ms": stats(time_to_all),
                "post_latency_ms": stats(post_latency),
                "window": [-args.window_before, args.window_after],
                "window_time_to_all_ms": stats(window_all),
                "window_blobs_complete": window_complete,
            },
            "target_ms": ms(target),
            "target_met": {
                "alert": target is not None and bool(alert) and not missing_alert and max(alert) <= target,
                "switch": target is not None and bool(switch) and not missing_switch and max(switch) <= target,
            },
            "agreed": agreed,
            "problems": problems,
            "sse_reconnects": sum(w.reconnects for w in watchers + cluster.listeners),
            "trace": trace(watchers, cluster, halves, t0) if args.trace else None,
            "cpu": {
                "machine_cores_busy_before_t0": cores_busy(ticks_pause, ticks_t0),
                "machine_cores_busy_t0_to_switches": cores_busy(ticks_t0, ticks_switched),
                "t0_to_switches_wall_ms": ms(window_wall),
                "nodes_cores_busy_avg": round(sum(cpu) / wall, 2) if wall > 0 else None,
                "harness_cores_busy_avg": round(harness_cpu / wall, 2) if wall > 0 else None,
                "wall_seconds": round(wall, 2),
            },
            "setup_seconds": round(publisher.start_time - started, 2),
        }
    finally:
        if publisher is not None:
            publisher.stopping.set()
        for watcher in watchers:
            watcher.stop()
        cluster.stop()


# ----------------------------------------------------------------------------------------------------------------
# Output


def trace(watchers: list[QuorumWatcher], cluster: QuorumCluster, halves: list[tuple[str, bytes]], t0: float) -> dict:
    """Per node, from its one stream: the halves' `blob` events, `evidence`, `chain`, `equivocation` and `election`
    events from t0 on, as (ms after t0, what)."""
    names = {blob_id: f"half {n + 1}" for n, (blob_id, _) in enumerate(halves)}
    result = {}
    for watcher in watchers:
        with watcher.lock:
            events = list(watcher.events)
        lines = []
        for arrival, topic, data in events:
            if arrival < t0 or (topic == "blob" and data.get("id") not in names):
                continue
            what = {
                "blob": lambda: f"blob {names.get(data.get('id'))}",
                "chain": lambda: f"chain {names.get(data.get('id'), data.get('id', '')[:8])}",
                "evidence": lambda: f"evidence {data.get('kind')}",
                "election": lambda: f"election {data.get('event')} {data.get('epoch')}",
            }.get(topic, lambda: topic)()
            lines.append((ms(arrival - t0), what))
        result[f"{watcher.node.index} {cluster.role(watcher.node.index)}".strip()] = lines
    return result


def format_table(result: dict) -> str:
    p, m, r, b = result["parameters"], result["machine"], result["roles"], result["background"]
    lines = []
    add = lines.append
    add(
        f"cairn quorum alert benchmark: N={p['nodes']} quorum={p['quorum_size']} heights 1-{p['heights']} decided, "
        f"then a double sign of height {result['double_sign']['height']}; background {p['size']} B at "
        f"{p['rate']:g}/s from node {p['publisher']} (achieved {b['achieved_rate']}/s); heartbeat={p['heartbeat_ms']} "
        f"ms durable={'true' if p['durable'] else 'FALSE (benchmark only)'} seed={p['seed']}"
    )
    if p["set"]:
        add(f"config overrides: {', '.join(p['set'])}")
    add(
        f"machine: {m['nproc']} CPU ({m['cpu']}); load average at start {m['loadavg_at_start']}, "
        f"at the double sign {m['loadavg_at_t0']}, at end {m['loadavg_at_end']}"
    )
    add(
        f"members: nodes {r['members']}; offender node {r['offender']} ({r['offender_key'][:16]}…); "
        f"halves posted to nodes {r['halves_to'][0]} and {r['halves_to'][1]} "
        f"(send skew {result['double_sign']['send_skew_ms']} ms)"
    )
    decided = ", ".join(f"{s * 1000:.0f}" for s in result["heights_decided_s"])
    add(f"heights decided at every node (ms from the first signature request to the last decided event): {decided}")
    add("")
    add(f"{'from t0 = second half sent (ms)':<40}{'p50':>9}{'p99':>9}{'max':>9}{'nodes':>7}")
    add("-" * 74)

    def row(name: str, s: dict) -> None:
        cells = "".join(f"{(f'{s[k]:.1f}' if s[k] is not None else 'n/a'):>9}" for k in ("p50", "p99", "max"))
        add(f"{name:<40}{cells}{s['count']:>7}")

    row("alert (equivocation event)", result["alert_ms"])
    row("switch (election elected, epoch 1)", result["switch_ms"])
    row("both halves on the node's blob stream", result["both_halves_ms"])
    row("background time-to-all, whole run", b["time_to_all_ms"])
    row(f"  blobs sent t0{b['window'][0]:+g} s … t0{b['window'][1]:+g} s", b["window_time_to_all_ms"])
    ratio = b["delivery_ratio"]
    add(
        f"background: {b['published']} blobs, delivery {ratio * 100:.2f} %, {b['blobs_complete']} on every other node; "
        f"POST latency p50 {b['post_latency_ms']['p50']} ms"
        if ratio is not None
        else "background: nothing published"
    )
    target = result["target_ms"]
    met = result["target_met"]
    add(
        f"target (background p99 time-to-all + 20 ms) = {target} ms: alert "
        f"{'met' if met['alert'] else 'NOT met'}, switch {'met' if met['switch'] else 'NOT met'} (by the max over "
        f"the nodes, which is the nearest-rank p99 for {p['nodes']} nodes)"
    )
    order = sorted(result["per_node"], key=lambda n: (n["alert_ms"] is None, n["alert_ms"] or 0))
    add(
        "per node, by alert (node role: both halves/alert/switch ms): "
        + "; ".join(
            f"{n['node']}{(' ' + n['role']) if n['role'] else ''}: {n['both_halves_ms']}/{n['alert_ms']}/"
            f"{n['switch_ms']}"
            for n in order
        )
    )
    agreed = result["agreed"]
    c = result["cpu"]
    add(
        f"CPU: nodes {c['nodes_cores_busy_avg']} cores busy on average, this benchmark {c['harness_cores_busy_avg']}, "
        f"over {c['wall_seconds']} s; SSE reconnects {result['sse_reconnects']}"
    )
    add(
        f"machine CPU (/proc/stat): {c['machine_cores_busy_before_t0']} cores busy in the pause before t0, "
        f"{c['machine_cores_busy_t0_to_switches']} from t0 until every node had switched "
        f"({c['t0_to_switches_wall_ms']} ms, seen within 20 ms)"
    )
    if result.get("trace"):
        add("trace (ms after t0, one stream per node, in the node's order):")
        for node, events in result["trace"].items():
            add(f"  node {node}: " + " | ".join(f"{at:.1f} {what}" for at, what in events))
    if result["problems"]:
        add("CHECK FAILED:")
        lines.extend(f"  {problem}" for problem in result["problems"])
    else:
        add(
            f"check: every node holds evidence {agreed['evidence']} and runs epoch 1 from height {agreed['start']} "
            f"with {len(agreed['members'])} members, without the offender: OK"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Start N cairn nodes on a quorum network with background load, make a member double-sign, and "
        "measure the alert and the switch to the new epoch at every node.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--binary", default=".build/release/cairn", help="the cairn executable (not built here)")
    parser.add_argument("--nodes", type=int, default=30, help="number of nodes N (every node's key holds stake)")
    parser.add_argument("--quorum-size", type=int, default=15, help="epoch 0's members (3 to 15)")
    parser.add_argument("--heights", type=int, default=3, help="heights the members decide before the double sign")
    parser.add_argument("--rate", type=float, default=50.0, help="background blobs per second")
    parser.add_argument("--size", type=int, default=1024, help="background payload bytes")
    parser.add_argument("--network", default="quorum-bench", help="node.network and the genesis's network")
    parser.add_argument("--heartbeat-ms", type=int, default=1000, help="gossip.heartbeat_ms (1000 = production)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the topology, the keys and the roles")
    parser.add_argument("--publisher", type=int, default=0, help="index of the background publisher")
    parser.add_argument("--publish-connections", type=int, default=8, help="parallel background POST connections")
    parser.add_argument("--settle-heartbeats", type=int, default=3, help="heartbeats to wait once all have a peer")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of background load before the heights")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds from the last decision to the double sign")
    parser.add_argument("--alert-timeout", type=float, default=30.0, help="seconds to wait for every alert and switch")
    parser.add_argument("--tail", type=float, default=2.0, help="seconds of background load after the last switch")
    parser.add_argument("--window-before", type=float, default=1.0, help="background window: seconds before t0")
    parser.add_argument("--window-after", type=float, default=2.0, help="background window: seconds after t0")
    parser.add_argument("--target-margin-ms", type=float, default=20.0, help="target = background p99 + this")
    parser.add_argument("--drain-timeout", type=float, default=30.0, help="seconds to wait for background delivery")
    parser.add_argument("--timeout", type=float, default=300.0, help="overall bound on the run, in seconds")
    parser.add_argument("--kill-grace", type=float, default=5.0, help="seconds between SIGTERM and SIGKILL")
    parser.add_argument(
        "--no-durable", dest="durable", action="store_false", help="storage.durable = false (stated in the output)"
    )
    parser.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE", help="extra cairn.toml setting")
    parser.add_argument("--log-level", default="warning", help="log.level of the nodes (logs in each data dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--trace",
        action="store_true",
        help=f"diagnosis: the quorum streams carry {TRACE_TOPICS} and each node's timeline is printed",
    )
    args = parser.parse_args()
    if not 3 <= args.quorum_size <= 15:
        parser.error("--quorum-size must be 3 to 15")
    if args.nodes > 30 or args.nodes < args.quorum_size + 3:
        parser.error("--nodes must be at most 30 and leave the publisher and two non-members besides the quorum")
    if not 0 <= args.publisher < args.nodes:
        parser.error("--publisher must name one of the nodes")
    if args.heights < 1 or args.rate <= 0 or args.size < 1:
        parser.error("--heights, --rate and --size must be positive")
    if not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary} is not an executable; build it with `swift build -c release --product cairn`")

    result = mesh.run_guarded(args, run)
    if isinstance(result, int):
        return result
    print(format_table(result))
    mesh.write_json(args.json, result)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
