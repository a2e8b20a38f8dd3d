import CairnCore
import CairnProtocol

extension Simulation {
    // MARK: Dialling

    /// Starts a TCP-like connect from `index` to `address`: it reaches the target after one latency, and the
    /// dialer learns the outcome one latency later. Unknown or unreachable targets fail: refused when the address
    /// is unknown, after the replica's dial timeout when a partition swallows the attempt.
    func dial(from index: Int, connection id: Connection.ID, to address: PeerAddress) {
        let target = addressIndex[address]
        let link = links.count
        links.append(
            Link(
                dialer: End(node: index, connection: id, isOpen: true),
                acceptor: End(node: target ?? index),
                latency: latency(index, target ?? index)
            )
        )
        nodes[index].connections[id] = EndReference(link: link, side: .dialer)
        if nodes[index].isHonest { counters.dials += 1 }
        guard let target, target != index else {
            schedule(.dialFailed(link: link), at: now + links[link].latency)
            return
        }
        if partitioned(index, target, at: now) {
            schedule(.dialFailed(link: link), at: now + dialTimeoutMicros)
        } else {
            schedule(.accept(link: link), at: now + links[link].latency)
        }
    }

    /// The connect reached its target: an up, reachable, listening node accepts it; otherwise it is refused.
    func accept(_ link: Int) {
        let dialer = links[link].dialer
        guard dialer.isOpen else { return }
        let target = links[link].acceptor.node
        guard nodes[target].isUp, !partitioned(dialer.node, target, at: now),
            nodes[target].hostile?.kind.acceptsConnections ?? true
        else {
            schedule(.dialFailed(link: link), at: now + links[link].latency)
            return
        }
        // The dialer's `dialed` goes first, before any bytes this side writes can reach it.
        schedule(.dialed(link: link), at: now + links[link].latency)
        if nodes[target].isHonest {
            counters.accepted += 1
            let port = UInt16(Self.ephemeralPortBase + link % (65_536 - Self.ephemeralPortBase))
            let remote = try? PeerAddress(host: nodes[dialer.node].address.host, port: port)
            let (id, actions) = nodes[target].replica!.accepted(from: remote, now: nowMilliseconds)
            open(link, .acceptor, connection: id)
            run(actions, at: target)
        } else {
            let id = nodes[target].nextHostileConnection
            nodes[target].nextHostileConnection += 1
            open(link, .acceptor, connection: id)
            let bytes = nodes[target].hostile!.connected(link: link, initiator: false, now: nowMilliseconds)
            if !bytes.isEmpty { send(bytes, on: link, from: .acceptor) }
        }
    }

    /// The dialer's connect completed.
    func dialed(_ link: Int) {
        let dialer = links[link].dialer
        guard dialer.isOpen, nodes[dialer.node].isUp else { return }
        if nodes[dialer.node].isHonest {
            run(nodes[dialer.node].replica!.dialed(dialer.connection, now: nowMilliseconds), at: dialer.node)
        } else {
            let bytes = nodes[dialer.node].hostile!.connected(link: link, initiator: true, now: nowMilliseconds)
            if !bytes.isEmpty { send(bytes, on: link, from: .dialer) }
        }
    }

    /// The dialer's connect failed.
    func dialFailed(_ link: Int) {
        let dialer = links[link].dialer
        guard dialer.isOpen else { return }
        links[link].dialer.isOpen = false
        nodes[dialer.node].connections.removeValue(forKey: dialer.connection)
        if nodes[dialer.node].isHonest { counters.dialsFailed += 1 }
        guard nodes[dialer.node].isUp, nodes[dialer.node].replica != nil else { return }
        run(nodes[dialer.node].replica!.dialFailed(dialer.connection, now: nowMilliseconds), at: dialer.node)
    }

    private func open(_ link: Int, _ side: Side, connection id: Connection.ID) {
        links[link][side].connection = id
        links[link][side].isOpen = true
        nodes[links[link][side].node].connections[id] = EndReference(link: link, side: side)
    }

    // MARK: Bytes

    /// A replica's `.write`: the bytes are sent, and the transport takes them at once while the socket's send
    /// buffer (`sendBufferBytes` not yet transmitted) has room, else once enough has drained. Bytes taken at once
    /// are reported `written` in batches of `writtenBatchBytes` (far below the replica's high-water mark, so its
    /// flushes are not held back); bytes taken later are reported when taken.
    /// - Returns: the bytes to report `written` now (0 for none).
    func write(_ bytes: [UInt8], on link: Int, from side: Side) -> Int {
        let departure = send(bytes, on: link, from: side)
        let bandwidth = scenario.links.bandwidthBytesPerMillisecond
        let buffered = UInt64(Self.sendBufferBytes) * 1000 / bandwidth
        if departure > now + buffered {
            let count = bytes.count + links[link][side].unreported
            links[link][side].unreported = 0
            schedule(.written(link: link, by: side, count: count), at: departure - buffered)
            return 0
        }
        links[link][side].unreported += bytes.count
        guard links[link][side].unreported >= Self.writtenBatchBytes else { return 0 }
        defer { links[link][side].unreported = 0 }
        return links[link][side].unreported
    }

    /// Sends bytes from one end: they leave once the direction is free and the bytes are transmitted at the link's
    /// bandwidth, and arrive one latency later (plus a retransmission timeout when lost, and held while a partition
    /// separates the ends), never before earlier bytes.
    /// - Returns: when the last byte leaves.
    @discardableResult
    func send(_ bytes: [UInt8], on link: Int, from side: Side) -> UInt64 {
        var end = links[link][side]
        let latency = links[link].latency
        let bandwidth = scenario.links.bandwidthBytesPerMillisecond
        let transmit = (UInt64(bytes.count) * 1000 + bandwidth - 1) / bandwidth
        let departure = max(now, end.sendFreeAt) + transmit
        end.sendFreeAt = departure
        var arrival = departure + latency
        if scenario.links.lossRate > 0, random.chance(scenario.links.lossRate) {
            arrival += max(Self.minimumRetransmitMicros, 2 * latency)
        }
        arrival = healed(max(arrival, end.lastArrival), end.node, links[link][side.other].node, latency: latency)
        end.lastArrival = arrival
        links[link][side] = end
        schedule(.deliver(link: link, to: side.other, bytes: bytes), at: arrival)
        return departure
    }

    /// Bytes arrive at one end.
    func deliver(_ bytes: [UInt8], on link: Int, to side: Side) {
        let end = links[link][side]
        guard end.isOpen, nodes[end.node].isUp else { return }
        if nodes[end.node].isHonest {
            let actions = bytes.withUnsafeBytes { buffer in
                nodes[end.node].replica!.received(buffer, on: end.connection, now: nowMilliseconds)
            }
            run(actions, at: end.node)
        } else {
            let answer = nodes[end.node].hostile!.received(bytes, link: link, now: nowMilliseconds)
            if !answer.isEmpty { send(answer, on: link, from: side) }
        }
    }

    /// One end's transport took bytes.
    func written(_ count: Int, on link: Int, by side: Side) {
        let end = links[link][side]
        guard end.isOpen, nodes[end.node].isUp, nodes[end.node].replica != nil else { return }
        run(nodes[end.node].replica!.written(count, on: end.connection, now: nowMilliseconds), at: end.node)
    }

    // MARK: Closing

    /// Closes `node`'s end of a connection: the farewell goes out first, and the far end learns of the close after
    /// it (one latency at least). The node is not told: it asked for it, or it is going away.
    func closeEnd(of index: Int, connection id: Connection.ID, farewell: [UInt8]) {
        guard let reference = nodes[index].connections.removeValue(forKey: id) else { return }
        let link = reference.link
        let side = reference.side
        if !farewell.isEmpty { send(farewell, on: link, from: side) }
        links[link][side].isOpen = false
        let far = links[link][side.other]
        guard far.isOpen else { return }
        let latency = links[link].latency
        let arrival = healed(
            max(now + latency, links[link][side].lastArrival),
            index,
            far.node,
            latency: latency
        )
        links[link][side].lastArrival = arrival
        schedule(.closed(link: link, to: side.other), at: arrival)
        if nodes[index].isHonest, let kind = nodes[far.node].hostile?.kind {
            counters.hostileClosedByHonest[HostilePeer.Kind.allCases.firstIndex(of: kind)!] += 1
        }
    }

    /// The far end closed: this end's transport ends.
    func closed(_ link: Int, at side: Side) {
        let end = links[link][side]
        guard end.isOpen else { return }
        links[link][side].isOpen = false
        nodes[end.node].connections.removeValue(forKey: end.connection)
        if nodes[end.node].isHonest {
            guard nodes[end.node].isUp, nodes[end.node].replica != nil else { return }
            run(nodes[end.node].replica!.closed(end.connection, now: nowMilliseconds), at: end.node)
        } else {
            nodes[end.node].hostile!.closed(link: link)
        }
    }

    // MARK: Geometry

    /// The one-way latency between two nodes, drawn once per pair from the scenario's range, in microseconds.
    func latency(_ a: Int, _ b: Int) -> UInt64 {
        let range = scenario.links.latencyMilliseconds
        let low = range.lowerBound * 1000
        let span = (range.upperBound - range.lowerBound) * 1000
        let mixed = SplitMix64.mix(seed, 0x4C41_54, UInt64(min(a, b)), UInt64(max(a, b)))
        return low + mixed.multipliedFullWidth(by: span + 1).high
    }

    /// Whether a partition separates `a` and `b` at `time`.
    func partitioned(_ a: Int, _ b: Int, at time: UInt64) -> Bool {
        partitions.contains { $0.from <= time && time < $0.until && $0.separates(a, b) }
    }

    /// `arrival`, or later if a partition separating the ends is in force then: one latency after it heals.
    func healed(_ arrival: UInt64, _ a: Int, _ b: Int, latency: UInt64) -> UInt64 {
        var time = arrival
        var moved = true
        while moved {
            moved = false
            for partition in partitions
            where partition.from <= time && time < partition.until && partition.separates(a, b) {
                time = partition.until + latency
                moved = true
            }
        }
        return time
    }
}
