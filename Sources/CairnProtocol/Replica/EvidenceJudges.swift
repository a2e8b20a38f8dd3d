import CairnCore

/// The evidence kinds a replica accepts, each with the component that judges it: an open set.
///
/// The core registers `channelFork` (its conflict is checked when the evidence decodes). A plug-in registers the
/// kinds it defines. Evidence of a kind nothing registered is neither stored nor forwarded, and costs its sender
/// nothing: a newer peer may know kinds this node does not.
public struct EvidenceJudges: Sendable {
    /// Decides whether verified evidence of one kind is a real conflict. Pure: the pair alone decides.
    public typealias Judge = @Sendable (Evidence) -> Bool

    private var judges: [Evidence.Kind: (name: String, judge: Judge)] = [:]

    /// The core's judges: channel forks only.
    public init() {
        // `Evidence.decode` already proved the fork (same author, channel and seq, two ids).
        register(.channelFork, name: "channel-fork") { _ in true }
    }

    /// Adds (or replaces) the judge of `kind`.
    /// - Parameters:
    ///   - kind: the wire code it judges.
    ///   - name: a name for logs and the API.
    ///   - judge: decides whether a verified pair conflicts.
    public mutating func register(_ kind: Evidence.Kind, name: String, judge: @escaping Judge) {
        judges[kind] = (name, judge)
    }

    /// Whether anything judges `kind`.
    public func judges(_ kind: Evidence.Kind) -> Bool { judges[kind] != nil }

    /// The registered kinds and their names.
    public var kinds: [(kind: Evidence.Kind, name: String)] {
        judges.map { (kind: $0.key, name: $0.value.name) }.sorted { $0.kind.rawValue < $1.kind.rawValue }
    }

    /// Judges verified evidence: `false` when its kind is unregistered or its judge finds no conflict.
    public func accepts(_ evidence: Evidence) -> Bool {
        judges[evidence.kind]?.judge(evidence) ?? false
    }
}
