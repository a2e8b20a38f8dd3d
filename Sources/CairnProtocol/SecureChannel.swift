import CairnCore

/// The encrypted record layer that follows a handshake: each record is a 4-byte big-endian ciphertext length
/// followed by a ChaCha20-Poly1305 (IETF) ciphertext, with the length as associated data and a per-direction
/// 64-bit counter as nonce.
///
/// Decoding is incremental and bounded: at most one record (`maxCiphertextBytes` + 4) is ever buffered, and an
/// oversized length fails before any of its body is buffered.
public struct SecureChannel: Sendable {
    /// Bytes of the record length prefix.
    public static let lengthPrefixBytes = 4
    /// Bytes of the Poly1305 tag in each record.
    public static let tagBytes = 16
    /// The default largest plaintext per record: 2 MiB plus 4 KiB, enough for evidence holding two blobs at
    /// the default 1 MiB payload limit with their headers.
    public static let defaultMaxPlaintextBytes = 2 * 1024 * 1024 + 4096

    /// How records are protected.
    public enum Cipher: Sendable, Equatable {
        /// ChaCha20-Poly1305 (IETF), as §4 specifies: the only cipher on a real network.
        case chaCha20Poly1305
        /// No protection: the plaintext travels as is, behind the same length prefix and a zero tag. For large
        /// simulations only, where sealing every record dominates the run and proves nothing new.
        case plaintextForSimulation
    }

    /// What the driver must do after feeding the channel.
    public enum Action: Sendable, Equatable {
        /// An authenticated record's plaintext, in order.
        case deliver([UInt8])
        /// The byte stream is corrupt or hostile; close the connection (sending still works, e.g. a goodbye).
        case fail(ChannelError)
    }

    /// The largest plaintext one record may carry.
    public let maxPlaintextBytes: Int
    /// The largest ciphertext length accepted in a length prefix.
    public var maxCiphertextBytes: Int { maxPlaintextBytes + Self.tagBytes }
    /// The authenticated remote node.
    public let remoteKey: PublicKey
    /// The counter (nonce) of the next record this side seals.
    public private(set) var sendCounter: UInt64 = 0
    /// The counter (nonce) of the next record this side expects.
    public private(set) var receiveCounter: UInt64 = 0
    /// The receive error, once there was one; the channel then ignores further input.
    public private(set) var failure: ChannelError?

    /// How this channel's records are protected.
    public let cipher: Cipher

    private let sendKey: [UInt8]
    private let receiveKey: [UInt8]
    private var sendExhausted = false
    private var receiveExhausted = false
    private var pending: [UInt8] = []
    private var pendingLength: Int?

    /// Opens a channel over an established session.
    /// - Parameters:
    ///   - session: the handshake's result.
    ///   - maxPlaintextBytes: the largest record plaintext in either direction.
    ///   - cipher: ChaCha20-Poly1305 except in large simulations.
    public init(
        session: Session,
        maxPlaintextBytes: Int = SecureChannel.defaultMaxPlaintextBytes,
        cipher: Cipher = .chaCha20Poly1305
    ) {
        precondition(maxPlaintextBytes >= 0 && maxPlaintextBytes <= Int(UInt32.max) - Self.tagBytes)
        self.cipher = cipher
        self.maxPlaintextBytes = maxPlaintextBytes
        self.remoteKey = session.remoteKey
        self.sendKey = session.sendKey
        self.receiveKey = session.receiveKey
    }

    /// The number of bytes of a partial record held between calls to `receive`.
    public var bufferedBytes: Int { pending.count }

    /// Encrypts one record.
    /// - Returns: the bytes to write: length prefix and ciphertext.
    /// - Throws: `ChannelError.plaintextTooLarge` or `.counterExhausted`.
    public mutating func seal<Bytes: Collection>(_ plaintext: Bytes) throws(ChannelError) -> [UInt8]
    where Bytes.Element == UInt8 {
        guard plaintext.count <= maxPlaintextBytes else {
            throw .plaintextTooLarge(size: plaintext.count, limit: maxPlaintextBytes)
        }
        guard !sendExhausted else { throw .counterExhausted }
        let ciphertextLength = plaintext.count + Self.tagBytes
        var record = [UInt8](repeating: 0, count: Self.lengthPrefixBytes + ciphertextLength)
        for index in 0..<Self.lengthPrefixBytes {
            record[index] = UInt8(truncatingIfNeeded: UInt32(ciphertextLength) >> (24 - 8 * UInt32(index)))
        }
        if cipher == .plaintextForSimulation {
            var index = Self.lengthPrefixBytes
            for byte in plaintext {
                record[index] = byte
                index += 1
            }
        } else {
            let nonce = TransportCrypto.nonce(counter: sendCounter)
            let key = sendKey
            let text = Array(plaintext)
            record.withUnsafeMutableBytes { out in
                text.withUnsafeBytes { textBytes in
                    TransportCrypto.seal(
                        key: key,
                        nonce: nonce,
                        associatedData: UnsafeRawBufferPointer(rebasing: out[0..<4]),
                        plaintext: textBytes,
                        into: UnsafeMutableRawBufferPointer(rebasing: out[4...])
                    )
                }
            }
        }
        if sendCounter == .max { sendExhausted = true } else { sendCounter += 1 }
        return record
    }

    /// Feeds bytes read from the peer, split or coalesced arbitrarily.
    /// - Returns: each complete record's plaintext in order, then `.fail` if the stream turned out bad.
    public mutating func receive<Bytes: Collection>(_ bytes: Bytes) -> [Action] where Bytes.Element == UInt8 {
        guard failure == nil else { return [] }
        var actions: [Action] = []
        var input = bytes[...]
        while !input.isEmpty {
            if pendingLength == nil {
                let take = min(Self.lengthPrefixBytes - pending.count, input.count)
                pending.append(contentsOf: input.prefix(take))
                input = input.dropFirst(take)
                guard pending.count == Self.lengthPrefixBytes else { break }
                let length = pending.reduce(0) { $0 << 8 | Int($1) }
                if length > maxCiphertextBytes {
                    return actions + fail(.frameTooLarge(size: length, limit: maxCiphertextBytes))
                }
                if length < Self.tagBytes { return actions + fail(.frameTooSmall(size: length)) }
                pendingLength = length
                pending.reserveCapacity(Self.lengthPrefixBytes + length)
            }
            guard let length = pendingLength else { break }
            let needed = Self.lengthPrefixBytes + length - pending.count
            let take = min(needed, input.count)
            pending.append(contentsOf: input.prefix(take))
            input = input.dropFirst(take)
            guard take == needed else { break }
            guard !receiveExhausted else { return actions + fail(.counterExhausted) }
            let nonce = TransportCrypto.nonce(counter: receiveCounter)
            let key = receiveKey
            let opened: [UInt8]? =
                cipher == .plaintextForSimulation
                ? Array(pending[Self.lengthPrefixBytes..<(pending.count - Self.tagBytes)])
                : pending.withUnsafeBytes { record in
                    TransportCrypto.open(
                        key: key,
                        nonce: nonce,
                        associatedData: UnsafeRawBufferPointer(rebasing: record[0..<4]),
                        ciphertext: UnsafeRawBufferPointer(rebasing: record[4...])
                    )
                }
            guard let plaintext = opened else {
                return actions + fail(.authenticationFailed(counter: receiveCounter))
            }
            if receiveCounter == .max { receiveExhausted = true } else { receiveCounter += 1 }
            pending.removeAll(keepingCapacity: false)
            pendingLength = nil
            actions.append(.deliver(plaintext))
        }
        return actions
    }

    private mutating func fail(_ error: ChannelError) -> [Action] {
        failure = error
        pending = []
        pendingLength = nil
        return [.fail(error)]
    }
}
