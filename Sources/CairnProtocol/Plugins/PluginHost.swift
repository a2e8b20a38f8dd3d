import CairnCore

/// The plug-ins of one node and the accept pipeline's last step, "tell observers": every committed blob and every
/// recorded evidence goes to every plug-in, in commit order, exactly once per process (a replay at start, then live).
///
/// Both drivers own one host: the libuv node feeds it from its store's commits, the simulator from its in-memory
/// stores. Actions come back tagged with the plug-in that asked, in the order asked.
public struct PluginHost: Sendable {
    /// One plug-in's action.
    public struct Request: Sendable, Equatable {
        /// The plug-in's name.
        public let plugin: String
        /// What it asks.
        public let action: PluginAction

        public init(plugin: String, action: PluginAction) {
            self.plugin = plugin
            self.action = action
        }
    }

    /// Where the host is in its life: replaying stored blobs, or live.
    public enum Phase: Sendable, Equatable {
        case replaying
        case live
    }

    private var plugins: [any Plugin]
    /// What the plug-ins registered, composed with the core's rules.
    public let registry: PluginRegistry
    /// Replaying or live.
    public private(set) var phase = Phase.replaying
    /// Blobs passed to the plug-ins so far (replayed and live).
    public private(set) var blobsObserved = 0

    /// Loads `plugins` in order; later plug-ins win when two register the same channel prefix or evidence kind.
    public init(plugins: [any Plugin]) {
        self.plugins = plugins
        var registry = PluginRegistry()
        for plugin in plugins { plugin.register(in: &registry) }
        self.registry = registry
    }

    /// Why a driver must not carry out a request.
    public enum Refusal: Sendable, Equatable, CustomStringConvertible {
        /// An event of a topic no plug-in registered: no watcher could subscribe to it.
        case unregisteredTopic(String)
        /// Evidence that no registered judge accepts: peers would drop it.
        case unjudgedEvidence(Evidence.Kind)

        public var description: String {
            switch self {
            case .unregisteredTopic(let topic): "an event of the unregistered topic \(topic)"
            case .unjudgedEvidence(let kind): "\(kind) evidence that no registered judge accepts"
            }
        }
    }

    /// The names of the loaded plug-ins, in load order.
    public var names: [String] { plugins.map(\.name) }

    /// The first loaded plug-in of type `P` as it is now (a copy), for drivers and tests that read its state.
    public func plugin<P: Plugin>(_ type: P.Type) -> P? {
        for plugin in plugins {
            if let match = plugin as? P { return match }
        }
        return nil
    }

    /// Checks a request before the driver carries it out: an event's topic must be one the plug-ins registered, and
    /// evidence must be accepted by its kind's registered judge.
    /// - Returns: why the request must be dropped, or `nil` when it may be carried out.
    public func refusal(of request: Request) -> Refusal? {
        switch request.action {
        case .emit(let topic, _):
            registry.topics.contains(topic) ? nil : .unregisteredTopic(topic)
        case .recordEvidence(let evidence):
            registry.evidenceJudges.accepts(evidence) ? nil : .unjudgedEvidence(evidence.kind)
        case .publish:
            nil
        }
    }

    /// A blob was committed (or is being replayed from the store).
    public mutating func committed(_ blob: SignedBlob, now: UInt64) -> [Request] {
        blobsObserved += 1
        return each { $0.committed(blob, now: now) }
    }

    /// Evidence was recorded (or is being replayed from the store).
    public mutating func recorded(_ evidence: Evidence, now: UInt64) -> [Request] {
        each { $0.recorded(evidence, now: now) }
    }

    /// The replay is over; events after this are live.
    public mutating func replayed(now: UInt64) -> [Request] {
        guard phase == .replaying else { return [] }
        phase = .live
        return each { $0.replayed(now: now) }
    }

    /// The node's heartbeat.
    public mutating func tick(now: UInt64) -> [Request] {
        each { $0.tick(now: now) }
    }

    /// Runs `body` on the loaded plug-in of type `T` (the first one, if several), in place: for a plug-in's own
    /// requests that do not come from a commit (an HTTP route that signs, a status query).
    /// - Returns: what `body` returned, and its actions tagged with the plug-in; `nil` when no `T` is loaded.
    public mutating func with<T: Plugin, Result>(
        _ type: T.Type,
        _ body: (inout T) throws -> (Result, [PluginAction])
    ) rethrows -> (result: Result, requests: [Request])? {
        guard let index = plugins.firstIndex(where: { $0 is T }), var plugin = plugins[index] as? T else { return nil }
        // Take the plug-in out while it runs, so that its state is not copied on write.
        plugins[index] = Vacancy()
        defer { plugins[index] = plugin }
        let (result, actions) = try body(&plugin)
        return (result, actions.map { Request(plugin: plugin.name, action: $0) })
    }

    private mutating func each(_ body: (inout any Plugin) -> [PluginAction]) -> [Request] {
        var requests: [Request] = []
        for index in plugins.indices {
            let name = plugins[index].name
            requests += body(&plugins[index]).map { Request(plugin: name, action: $0) }
        }
        return requests
    }
}

/// Holds a plug-in's place in the host while `PluginHost.with` runs it.
private struct Vacancy: Plugin {
    let name = ""
    func register(in registry: inout PluginRegistry) {}
    mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction] { [] }
}
