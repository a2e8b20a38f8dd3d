import CairnCore

/// A component that extends every node of a network the same way: it owns channels and checks their payloads, judges
/// the evidence kinds it defines, registers event topics, and observes every committed blob in commit order.
///
/// A plug-in is a sans-I/O state machine like the replica: committed blobs, recorded evidence and time in, actions out
/// (publish, record evidence, append an event). The host (`PluginHost`) runs below both drivers; the libuv node and the
/// simulator feed it the same way, and carry out its actions with their store and clock.
///
/// Acceptance never depends on a plug-in's state: `register` gives stateless payload checks only, so every honest node
/// stores the same set, and whatever a plug-in derives is a function of that set, judged after commit.
public protocol Plugin: Sendable {
    /// A short name ("quorum"), for logs, refusals and the API.
    var name: String { get }

    /// Adds the plug-in's channels (with their stateless payload checks), evidence judges and event topics.
    func register(in registry: inout PluginRegistry)

    /// A blob was committed (by any path: published over HTTP, posted pre-signed, received from a peer). Called once
    /// per stored blob, in commit order; at start, every stored blob is replayed in commit order before live ones.
    mutating func committed(_ blob: SignedBlob, now: UInt64) -> [PluginAction]

    /// Evidence was recorded (of any kind, by any path), in record order; replayed at start after the blobs.
    mutating func recorded(_ evidence: Evidence, now: UInt64) -> [PluginAction]

    /// The replay of stored blobs and evidence is over; live ones follow.
    mutating func replayed(now: UInt64) -> [PluginAction]

    /// Time passes: called on the node's heartbeat.
    mutating func tick(now: UInt64) -> [PluginAction]
}

extension Plugin {
    public mutating func recorded(_ evidence: Evidence, now: UInt64) -> [PluginAction] { [] }
    public mutating func replayed(now: UInt64) -> [PluginAction] { [] }
    public mutating func tick(now: UInt64) -> [PluginAction] { [] }
}

/// What a plug-in asks its node to do; the driver performs the actions in order.
public enum PluginAction: Sendable, Equatable {
    /// Sign `payload` with the node's key as the next blob of `channel` and put it through the accept pipeline.
    case publish(ChannelName, payload: [UInt8])
    /// Record and flood evidence the plug-in built (it passed the plug-in's own judge).
    case recordEvidence(Evidence)
    /// Append an event of `topic` (a registered topic) with a JSON body to the event log.
    case emit(topic: String, json: [UInt8])
}

/// What plug-ins register with the host, composed into what the replica and the API use.
public struct PluginRegistry: Sendable {
    /// The owned channels and their payload checks.
    public var channelRules = ChannelRules()
    /// The evidence kinds accepted and their judges (the core's channel fork included).
    public var evidenceJudges = EvidenceJudges()
    /// The event topics plug-ins append.
    public var topics: Set<String> = []

    /// The core's rules alone.
    public init() {}
}
