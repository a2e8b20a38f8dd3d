import CairnCore

/// One blob of a channel listing.
public struct ChannelEntry: Sendable, Equatable {
    /// The blob.
    public let blob: SignedBlob
    /// `true` when the blob's `prev` names none of the blobs stored at its seq − 1 (the listing shows such a blob as
    /// soon as its seq − 1 is listed, though it is not linked); `false` for a linked blob.
    public let prevMismatch: Bool

    /// Builds an entry; the store makes these, tests and fakes may too.
    public init(blob: SignedBlob, prevMismatch: Bool) {
        self.blob = blob
        self.prevMismatch = prevMismatch
    }

    /// The position just after this entry, to continue a listing from.
    public var cursor: ChannelCursor { ChannelCursor(seq: blob.seq, id: blob.id) }
}
