import CairnCore
import CairnStore
import Foundation

/// A blob's metadata as the API shows it; `payload` (base64) only where the route says so.
struct BlobJSON: Codable, Sendable {
    let id: BlobID
    let author: PublicKey
    let channel: String
    let seq: UInt64
    let prev: BlobID
    let timestamp: UInt64
    let size: Int
    var payload: String?
    /// Only in channel listings: `true` when `prev` names none of the blobs stored at seq − 1 (the blob is listed,
    /// but not linked).
    var prevMismatch: Bool?

    init(_ blob: SignedBlob, includePayload: Bool = false) {
        id = blob.id
        author = blob.author
        channel = blob.channel.value
        seq = blob.seq
        prev = blob.prev
        timestamp = blob.timestamp
        size = blob.payload.count
        payload = includePayload ? Data(blob.payload).base64EncodedString() : nil
    }

    /// A channel listing's entry.
    init(_ entry: ChannelEntry) {
        self.init(entry.blob)
        prevMismatch = entry.prevMismatch
    }
}

/// `GET /v1/channels/{author}/{name}`: one page of a channel.
struct ChannelPageJSON: Codable, Sendable {
    let author: PublicKey
    let channel: String
    /// Every seq from 1 to this one has a linked blob; 0 when seq 1 is not stored.
    let completeThrough: UInt64
    let blobs: [BlobJSON]
    /// The `after` of the next page: the last blob's `SEQ.ID`, or the request's `after` when the page is empty.
    let next: String
}

/// The answer to a POST that stored (or already had) a blob.
struct PutJSON: Codable, Sendable {
    let id: BlobID
    let author: PublicKey
    let channel: String
    let seq: UInt64
    /// `false` when the node already had this blob.
    let stored: Bool
    /// Evidence this blob completed (a fork of its channel slot).
    let evidence: [EvidenceID]
}

/// `GET /v1/node`.
struct NodeJSON: Codable, Sendable {
    struct Counts: Codable, Sendable {
        let blobs: Int
        let payloadBytes: Int
        let evidence: Int
        let events: UInt64
    }
    let id: PublicKey
    let network: String
    let version: String
    let uptimeSeconds: Double
    let maxBlobBytes: Int
    let counts: Counts
}

/// `GET /v1/evidence/{id}`.
struct EvidenceJSON: Codable, Sendable {
    let id: EvidenceID
    let kind: String
    let blobs: [BlobJSON]
    /// The canonical evidence encoding, base64.
    let encoding: String

    init(_ evidence: Evidence) {
        id = evidence.id
        kind = evidence.kind.description
        blobs = [BlobJSON(evidence.first, includePayload: true), BlobJSON(evidence.second, includePayload: true)]
        encoding = Data(evidence.encoding).base64EncodedString()
    }
}

/// One line of `GET /v1/evidence`: what conflicts, without the payloads.
struct EvidenceSummaryJSON: Codable, Sendable {
    let id: EvidenceID
    let kind: String
    let author: PublicKey
    let channel: String
    let seq: UInt64
    let blobs: [BlobID]

    init(_ evidence: Evidence) {
        id = evidence.id
        kind = evidence.kind.description
        author = evidence.first.author
        channel = evidence.first.channel.value
        seq = evidence.first.seq
        blobs = [evidence.first.id, evidence.second.id]
    }
}
