import CairnCore

/// An epoch: a quorum's members and the heights it decides, from `start` until it ends.
public struct QuorumEpoch: Sendable, Hashable, CustomStringConvertible {
    /// Why an epoch ended.
    public enum EndReason: Sendable, Hashable {
        /// It decided `epoch_length_heights` heights.
        case length
        /// Stored slips holding more than half of all stake recalled it.
        case recall
        /// Equivocation evidence against these members (ascending).
        case evidence([PublicKey])
    }

    /// The epoch number; epoch 0 is the genesis's initial quorum.
    public let number: UInt64
    /// The first height of the epoch.
    public let start: UInt64
    /// The members, in ascending key order; signatures by anyone else count for nothing in this epoch.
    public let members: [PublicKey]
    /// The first height after the epoch (the next epoch's start), once it has ended; `nil` while it runs.
    public let end: UInt64?
    /// Why it ended; `nil` while it runs.
    public let endReason: EndReason?

    /// An epoch.
    public init(number: UInt64, start: UInt64, members: [PublicKey], end: UInt64?, endReason: EndReason?) {
        self.number = number
        self.start = start
        self.members = members
        self.end = end
        self.endReason = endReason
    }

    /// Whether `height` lies in the epoch (for a running epoch: from `start` up to its length).
    public func contains(_ height: UInt64, epochLength: UInt64) -> Bool {
        height >= start && height < (end ?? start + epochLength)
    }

    /// Whether this epoch is the same election as `other`: number, start and members.
    func sameElection(as other: QuorumEpoch) -> Bool {
        number == other.number && start == other.start && members == other.members
    }

    public var description: String {
        let range = end.map { "\(start)..<\($0)" } ?? "\(start)..."
        return "epoch \(number) heights \(range) members \(members.map { String($0.hex.prefix(8)) })"
    }
}

/// A decided height: every member of its epoch signed the same block and vote set, and every height before it is
/// decided.
public struct QuorumDecision: Sendable, Hashable, CustomStringConvertible {
    /// The height.
    public let height: UInt64
    /// The epoch that decided it.
    public let epoch: UInt64
    /// The block and vote set its members signed.
    public let value: QuorumValue

    /// A decision.
    public init(height: UInt64, epoch: UInt64, value: QuorumValue) {
        self.height = height
        self.epoch = epoch
        self.value = value
    }

    public var description: String { "height \(height) epoch \(epoch) \(value)" }
}
