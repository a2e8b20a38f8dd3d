/// Why the store's quota (`StoreQuota`) refused a blob: which bound, and the numbers that exceed it.
public enum QuotaRefusal: Sendable, Equatable, CustomStringConvertible {
    /// The author already has `limit` blobs stored.
    case authorBlobs(limit: UInt64)
    /// The author's stored payload bytes plus this payload exceed `limit`.
    case authorBytes(limit: UInt64, stored: UInt64, payload: UInt64)
    /// The store's payload bytes in all plus this payload exceed `limit`.
    case totalBytes(limit: UInt64, stored: UInt64, payload: UInt64)
    /// An earlier blob of the same author in the same write was refused: a later one is refused too, so that a
    /// chain never continues past a gap this store made.
    case authorRefusedEarlier

    /// The metric label: `author_blobs`, `author_bytes`, `total_bytes` or `author_refused_earlier`.
    public var reason: String {
        switch self {
        case .authorBlobs: "author_blobs"
        case .authorBytes: "author_bytes"
        case .totalBytes: "total_bytes"
        case .authorRefusedEarlier: "author_refused_earlier"
        }
    }

    /// A sentence for a person.
    public var description: String {
        switch self {
        case .authorBlobs(let limit):
            "the author already has \(limit) blobs stored here, this node's limit per author (storage.author_max_blobs)"
        case .authorBytes(let limit, let stored, let payload):
            "the author's \(stored) stored payload bytes plus \(payload) exceed this node's limit of \(limit) bytes "
                + "per author (storage.author_max_bytes)"
        case .totalBytes(let limit, let stored, let payload):
            "the \(stored) payload bytes stored here plus \(payload) exceed this node's total limit of \(limit) bytes "
                + "(storage.max_bytes)"
        case .authorRefusedEarlier:
            "an earlier blob of this author in the same write exceeded this node's quota"
        }
    }
}
