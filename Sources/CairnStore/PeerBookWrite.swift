import CairnCore

/// A change to the peer book or the ban list, queued through the writer thread like every write.
enum PeerBookWrite: Sendable {
    /// Inserts or replaces the record of (`host`, `port`), then evicts the least recently seen beyond the bound.
    case remember(PeerRecord)
    /// Removes the record of (`host`, `port`) if there is one.
    case forget(host: String, port: UInt16)
    /// Inserts or replaces the ban of the record's key.
    case ban(BanRecord)
    /// Removes the ban of a key if there is one.
    case unban(PublicKey)
}
