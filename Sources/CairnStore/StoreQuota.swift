import CairnCore

/// The node's own bounds on what it stores for others: per author and in total. A node's policy, not the protocol's:
/// blobs refused here stay held by the nodes that accepted them, so the one place where a node's set may differ
/// from its peers' is the blobs its quota refused.
///
/// Bytes are payload bytes, as `max_blob_bytes` counts them. Exempt authors (the genesis stake table's keys, a static
/// list) are never refused; their blobs count towards the total all the same. Evidence is never refused either (a
/// conflict is kept whatever the quota); its blobs count towards their author's usage.
public struct StoreQuota: Sendable, Equatable {
    /// The most payload bytes stored per author, or `nil` for no bound.
    public var authorMaxBytes: UInt64?
    /// The most blobs stored per author, or `nil` for no bound.
    public var authorMaxBlobs: UInt64?
    /// The most payload bytes stored in all (every author's, exempt ones included), or `nil` for no bound. Keys are
    /// free, so a per-author bound alone bounds nothing; beyond this one, blobs of authors that are not exempt are
    /// refused.
    public var maxBytes: UInt64?
    /// Authors whose blobs are never refused.
    public var exemptAuthors: Set<PublicKey>

    /// No bound at all: the store accepts every verified blob (the default of `StoreConfiguration`).
    public static let unbounded = StoreQuota()

    /// A quota with the given bounds.
    public init(
        authorMaxBytes: UInt64? = nil,
        authorMaxBlobs: UInt64? = nil,
        maxBytes: UInt64? = nil,
        exemptAuthors: Set<PublicKey> = []
    ) {
        self.authorMaxBytes = authorMaxBytes
        self.authorMaxBlobs = authorMaxBlobs
        self.maxBytes = maxBytes
        self.exemptAuthors = exemptAuthors
    }

    /// Why storing a blob of `payloadBytes` by an author whose stored blobs are `usage` would exceed the quota, with
    /// `totalBytes` payload bytes stored in all; `nil` when it fits or the author is exempt.
    func refusal(author: PublicKey, payloadBytes: Int, usage: AuthorUsage, totalBytes: UInt64) -> QuotaRefusal? {
        guard !exemptAuthors.contains(author) else { return nil }
        let bytes = UInt64(payloadBytes)
        if let limit = authorMaxBlobs, usage.blobs >= limit {
            return .authorBlobs(limit: limit)
        }
        if let limit = authorMaxBytes, usage.payloadBytes + bytes > limit {
            return .authorBytes(limit: limit, stored: usage.payloadBytes, payload: bytes)
        }
        if let limit = maxBytes, totalBytes + bytes > limit {
            return .totalBytes(limit: limit, stored: totalBytes, payload: bytes)
        }
        return nil
    }
}

/// One author's stored blobs and their payload bytes (the `authors` database).
struct AuthorUsage: Sendable, Equatable {
    var blobs: UInt64 = 0
    var payloadBytes: UInt64 = 0

    /// blobs (8, big-endian) ‖ payload bytes (8, big-endian).
    var encoding: [UInt8] { Keys.uint64(blobs) + Keys.uint64(payloadBytes) }

    init(blobs: UInt64 = 0, payloadBytes: UInt64 = 0) {
        self.blobs = blobs
        self.payloadBytes = payloadBytes
    }

    /// Reads `encoding`'s layout, or `nil` when the length differs.
    init?(encoding: [UInt8]) {
        guard encoding.count == 16, let blobs = Keys.decode(encoding.prefix(8), as: UInt64.self),
            let bytes = Keys.decode(encoding.suffix(8), as: UInt64.self)
        else { return nil }
        self.init(blobs: blobs, payloadBytes: bytes)
    }
}
