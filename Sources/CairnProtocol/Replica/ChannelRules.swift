import CairnCore

/// The channels components own, each with a stateless check of its payloads: the "check" step of the one accept
/// pipeline that every blob passes (published over HTTP, posted pre-signed, or received from a peer).
///
/// A check says whether a payload is well formed for its channel, from the blob alone, never whether its author may
/// publish now (state-dependent rules are judged over the stored set), so every honest node stores the same set. A
/// channel that no rule owns takes any payload. An open set: plug-ins register their channels.
public struct ChannelRules: Sendable {
    /// Returns why the blob is refused, or `nil` when its payload is well formed for the channel.
    public typealias Check = @Sendable (SignedBlob) -> String?

    private var rules: [(prefix: String, owner: String, check: Check)] = []

    /// No channel owned: every payload accepted.
    public init() {}

    /// Gives the channels whose names start with `prefix` to `owner`, whose `check` judges their payloads. The
    /// longest matching prefix owns a channel.
    /// - Parameters:
    ///   - prefix: a channel-name prefix such as `quorum/`.
    ///   - owner: the owning component's name, for errors and logs.
    ///   - check: the stateless payload check.
    public mutating func register(prefix: String, owner: String, check: @escaping Check) {
        rules.removeAll { $0.prefix == prefix }
        rules.append((prefix, owner, check))
        rules.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    /// The owner of a channel, if any.
    public func owner(of channel: ChannelName) -> String? {
        rules.first { channel.value.hasPrefix($0.prefix) }?.owner
    }

    /// Why the owner of the blob's channel refuses it (owner and reason), or `nil` when it is accepted.
    public func refusal(of blob: SignedBlob) -> (owner: String, reason: String)? {
        guard let rule = rules.first(where: { blob.channel.value.hasPrefix($0.prefix) }),
            let reason = rule.check(blob)
        else { return nil }
        return (rule.owner, reason)
    }
}
