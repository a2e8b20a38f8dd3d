/// Why the secure channel refused a record.
public enum ChannelError: Error, Equatable, Sendable {
    /// A record's length field announces `size` ciphertext bytes, more than `limit`; nothing was buffered.
    case frameTooLarge(size: Int, limit: Int)
    /// A record's length field announces fewer bytes than an authentication tag (`size` < 16).
    case frameTooSmall(size: Int)
    /// A plaintext of `size` bytes is longer than the channel's `limit`.
    case plaintextTooLarge(size: Int, limit: Int)
    /// The record with this counter did not authenticate: a flipped, dropped, reordered or replayed byte.
    case authenticationFailed(counter: UInt64)
    /// The 64-bit record counter of a direction is used up; the connection must be re-established.
    case counterExhausted
    /// The channel already failed with `ChannelError` earlier; it accepts nothing more.
    case alreadyFailed
}
