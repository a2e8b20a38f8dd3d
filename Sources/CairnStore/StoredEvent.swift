import CairnCore

/// One entry of the store's event log: something a commit added, in commit order.
public struct StoredEvent: Sendable, Equatable {
    /// The longest custom topic, in UTF-8 bytes.
    public static let maxTopicBytes = 255
    /// The topic of `.blob` events.
    public static let blobTopic = "blob"
    /// The topic of `.evidence` events.
    public static let evidenceTopic = "evidence"
    /// The topic of `.prevMismatch` events.
    public static let chainTopic = "chain"
    /// The topics the store itself appends.
    public static let builtInTopics: Set<String> = [blobTopic, evidenceTopic, chainTopic]
    /// The topic of the notice an event stream sends a client that resumes from before the oldest retained event;
    /// never stored.
    public static let lostTopic = "lost"
    /// The topics custom events may not use: the built-in ones and `lostTopic`.
    public static let reservedTopics: Set<String> = builtInTopics.union([lostTopic])

    /// What happened.
    public enum Kind: Sendable, Equatable {
        /// A blob became linked into its channel's chain: it is stored, and so is every blob below it (its `prev`,
        /// that blob's `prev`, down to seq 1). Appended in the commit that completes the chain, after the event of
        /// the blob its `prev` names; a blob whose predecessors arrive later waits for them.
        case blob(BlobID)
        /// A stored blob's `prev` names none of the blobs stored at its seq − 1, though at least one is stored
        /// there: its author signed two different blobs for seq − 1. Appended once, in the commit that makes it so.
        case prevMismatch(BlobID)
        /// New evidence was recorded.
        case evidence(EvidenceID)
        /// A plug-in appended an event of its own.
        case custom(topic: String, data: [UInt8])
    }

    /// The log sequence: from 1, strictly increasing, assigned in the commit transaction.
    public let seq: UInt64
    /// What happened.
    public let kind: Kind

    /// `"blob"`, `"evidence"`, `"chain"` or the custom topic.
    public var topic: String {
        switch kind {
        case .blob: Self.blobTopic
        case .evidence: Self.evidenceTopic
        case .prevMismatch: Self.chainTopic
        case .custom(let topic, _): topic
        }
    }

    /// Builds an event; the store makes these, tests and fakes may too.
    public init(seq: UInt64, kind: Kind) {
        self.seq = seq
        self.kind = kind
    }

    /// `true` when `topic` may name a custom event: 1 to `maxTopicBytes` UTF-8 bytes and not a reserved topic.
    public static func isValidCustomTopic(_ topic: String) -> Bool {
        let count = topic.utf8.count
        return count > 0 && count <= maxTopicBytes && !reservedTopics.contains(topic)
    }
}

/// The value stored under an event's sequence in the `events` database.
///
/// Layout: one tag byte, then
/// - tag 1 (blob): the 32-byte blob id;
/// - tag 2 (evidence): the 32-byte evidence id;
/// - tag 3 (custom): the topic's UTF-8 length as one byte, the topic, then the data to the end of the value;
/// - tag 4 (prev mismatch, schema 3): the 32-byte blob id.
enum EventRecord {
    static let blobTag: UInt8 = 1
    static let evidenceTag: UInt8 = 2
    static let customTag: UInt8 = 3
    static let prevMismatchTag: UInt8 = 4

    static func encode(_ kind: StoredEvent.Kind) -> [UInt8] {
        var writer = ByteWriter()
        switch kind {
        case .blob(let id):
            writer.write(blobTag)
            writer.write(bytes: id.bytes)
        case .evidence(let id):
            writer.write(evidenceTag)
            writer.write(bytes: id.bytes)
        case .prevMismatch(let id):
            writer.write(prevMismatchTag)
            writer.write(bytes: id.bytes)
        case .custom(let topic, let data):
            let topicBytes = Array(topic.utf8)
            precondition(topicBytes.count <= StoredEvent.maxTopicBytes, "topic checked before it is queued")
            writer.write(customTag)
            writer.write(UInt8(topicBytes.count))
            writer.write(bytes: topicBytes)
            writer.write(bytes: data)
        }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) -> StoredEvent.Kind? {
        var reader = ByteReader(bytes)
        do {
            switch try reader.readUInt8("tag") {
            case blobTag:
                let id = BlobID(unchecked: try reader.readBytes(32, "blob id"))
                try reader.expectEnd()
                return .blob(id)
            case evidenceTag:
                let id = EvidenceID(unchecked: try reader.readBytes(32, "evidence id"))
                try reader.expectEnd()
                return .evidence(id)
            case prevMismatchTag:
                let id = BlobID(unchecked: try reader.readBytes(32, "blob id"))
                try reader.expectEnd()
                return .prevMismatch(id)
            case customTag:
                let length = Int(try reader.readUInt8("topic length"))
                guard let topic = String(validating: try reader.readBytes(length, "topic"), as: UTF8.self) else {
                    return nil
                }
                return .custom(topic: topic, data: try reader.readBytes(reader.remaining, "data"))
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}
