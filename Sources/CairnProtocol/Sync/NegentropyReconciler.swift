import CairnCore

/// Negentropy protocol V1 range-based set reconciliation, sans I/O: bytes and a storage snapshot in, bytes out.
///
/// The initiator calls `initiate(_:)` and sends the message; the responder answers each message with
/// `respond(to:storage:)`; the initiator feeds each answer to `reconcile(_:storage:)`, which yields the ids only
/// it has, the ids only the responder has, and the next message, until there is none. Nothing is kept between
/// messages: each call reads a fresh snapshot of the set.
public struct NegentropyReconciler: Sendable {
    /// The largest message this side sends, in bytes (0: no limit). When a message would grow past it, the ranges
    /// not yet answered are folded into one fingerprint range up to infinity, and the peers settle them in later
    /// rounds.
    public var frameSizeLimit: Int
    /// How differing ranges are split.
    public var strategy: NegentropySplitStrategy

    /// 64 KiB: a fraction of the 1 MiB records, a few thousand ranges or two thousand ids.
    public static let defaultFrameSizeLimit = 64 * 1024
    /// The smallest frame size limit, as in the reference implementations.
    public static let minimumFrameSizeLimit = 4096

    /// A reconciler; `frameSizeLimit` is 0 or at least `minimumFrameSizeLimit`.
    public init(frameSizeLimit: Int = defaultFrameSizeLimit, strategy: NegentropySplitStrategy = .default) {
        precondition(
            frameSizeLimit == 0 || frameSizeLimit >= Self.minimumFrameSizeLimit,
            "the frame size limit is 0 or at least 4096 bytes"
        )
        self.frameSizeLimit = frameSizeLimit
        self.strategy = strategy
    }

    /// What the initiator learned from one response.
    public struct Progress: Hashable, Sendable {
        /// The message to send next, or `nil` when reconciliation is complete.
        public var nextMessage: [UInt8]?
        /// Ids this side has and the responder lacks (in the ranges settled by this response).
        public var have: [BlobID]
        /// Ids the responder has and this side lacks (in the ranges settled by this response).
        public var need: [BlobID]
    }

    /// The initiator's first message: fingerprints of the whole set split into sub-ranges, or its ids when there
    /// are very few.
    /// - Throws: what `storage` throws.
    public func initiate(_ storage: some ReconciliationStorage) throws -> [UInt8] {
        var round = try NegentropyRound(storage: storage, isInitiator: true, configuration: self)
        try round.answerDifferingRange(try round.ranks(upTo: .infinity, from: 0), upTo: .infinity, expected: 1)
        return round.writer.bytes
    }

    /// Processes the responder's answer.
    /// - Throws: `NegentropyError` when `response` is malformed or of another protocol version, or what `storage`
    ///   throws.
    public func reconcile(_ response: [UInt8], storage: some ReconciliationStorage) throws -> Progress {
        let message = try NegentropyMessage(decoding: response)
        var round = try NegentropyRound(storage: storage, isInitiator: true, configuration: self)
        try round.process(message)
        return Progress(
            nextMessage: round.writer.isEmpty ? nil : round.writer.bytes,
            have: round.have,
            need: round.need
        )
    }

    /// The responder's answer to one message. A message of another Negentropy version (first byte `0x60`–`0x6F`
    /// but not `0x61`) is answered with the version byte `0x61` alone, as the specification asks, so the initiator
    /// can fall back.
    /// - Throws: `NegentropyError` when `message` is malformed or not Negentropy at all, or what `storage` throws.
    public func respond(to message: [UInt8], storage: some ReconciliationStorage) throws -> [UInt8] {
        if let version = message.first, version != NegentropyMessage.protocolVersion {
            guard NegentropyMessage.versionBytes.contains(version) else {
                throw NegentropyError.unsupportedVersion(version)
            }
            return [NegentropyMessage.protocolVersion]
        }
        let decoded = try NegentropyMessage(decoding: message)
        var round = try NegentropyRound(storage: storage, isInitiator: false, configuration: self)
        try round.process(decoded)
        return round.writer.bytes
    }
}
