import CairnCore

/// A typed, versioned peer message carried in one secure-channel record.
///
/// Encoding: message version byte (1), type byte, then the body; big-endian fixed-width counts; every list is
/// bounded; no trailing bytes. Blobs and evidence travel as their canonical CairnCore encodings and are not
/// verified here (signature checks are batched elsewhere).
public enum WireMessage: Sendable, Hashable {
    /// A full signed blob: its canonical encoding.
    case blob([UInt8])
    /// Announces blobs the sender holds.
    case have([BlobID])
    /// Asks for blobs the sender lacks.
    case want([BlobID])
    /// Tells the receiver not to push these blobs (the sender already has or is fetching them).
    case idontwant([BlobID])
    /// Peer exchange: addresses the sender knows.
    case peers([PeerAddress])
    /// Liveness probe; the receiver answers with `pong` of the same nonce.
    case ping(UInt64)
    /// Answer to `ping`.
    case pong(UInt64)
    /// A piece of equivocation evidence: its canonical encoding.
    case evidence([UInt8])
    /// The sender is closing the connection.
    case goodbye(GoodbyeReason)
    /// The sender's peer-to-peer listen port (0: it accepts no connections), sent first on every connection so the
    /// receiver can tell others where to dial it: the observed address with this port.
    case hello(listenPort: UInt16)
    /// A Negentropy protocol V1 message from the initiator of a reconciliation.
    case syncRequest([UInt8])
    /// A Negentropy protocol V1 message answering a `syncRequest`.
    case syncResponse([UInt8])

    /// The message format version byte.
    public static let version: UInt8 = 1
    /// The most blob ids in a `have`, `want` or `idontwant`.
    public static let maxIDs = 1024
    /// The most addresses in a `peers`.
    public static let maxPeers = 64
    /// The largest Negentropy message in a `syncRequest` or `syncResponse` (senders keep theirs within their frame
    /// size limit, 64 KiB by default).
    public static let maxSyncBytes = 256 * 1024

    /// The type byte of each message.
    public enum MessageType: UInt8, Sendable, CaseIterable {
        /// `blob`.
        case blob = 0x01
        /// `have`.
        case have = 0x02
        /// `want`.
        case want = 0x03
        /// `idontwant`.
        case idontwant = 0x04
        /// `peers`.
        case peers = 0x05
        /// `ping`.
        case ping = 0x06
        /// `pong`.
        case pong = 0x07
        /// `evidence`.
        case evidence = 0x08
        /// `goodbye`.
        case goodbye = 0x09
        /// `hello`.
        case hello = 0x0A
        /// `syncRequest`.
        case syncRequest = 0x0B
        /// `syncResponse`.
        case syncResponse = 0x0C
    }

    /// Size bounds applied when decoding.
    public struct Limits: Sendable, Equatable {
        /// The largest blob encoding accepted.
        public var maxBlobBytes: Int
        /// The largest evidence encoding accepted.
        public var maxEvidenceBytes: Int

        /// Bounds for blobs and evidence, in bytes.
        public init(maxBlobBytes: Int, maxEvidenceBytes: Int) {
            self.maxBlobBytes = maxBlobBytes
            self.maxEvidenceBytes = maxEvidenceBytes
        }

        /// Bounds that fit blobs with the default 1 MiB payload limit and evidence made of two of them.
        public static let `default`: Limits = {
            let blob = SignedBlob.defaultMaxPayloadBytes + SignedBlob.fixedOverheadBytes + ChannelName.maxBytes
            return Limits(maxBlobBytes: blob, maxEvidenceBytes: 2 + 2 * (4 + blob))
        }()
    }

    /// This message's type byte.
    public var type: MessageType {
        switch self {
        case .blob: .blob
        case .have: .have
        case .want: .want
        case .idontwant: .idontwant
        case .peers: .peers
        case .ping: .ping
        case .pong: .pong
        case .evidence: .evidence
        case .goodbye: .goodbye
        case .hello: .hello
        case .syncRequest: .syncRequest
        case .syncResponse: .syncResponse
        }
    }

    /// The canonical encoding.
    /// - Throws: `ProtocolError.tooManyItems`, `.emptyPayload` or `.blobTooLarge` when the message cannot be
    ///   encoded validly.
    public func encoded() throws(ProtocolError) -> [UInt8] {
        var writer = ByteWriter(capacity: 16)
        writer.write(Self.version)
        writer.write(type.rawValue)
        switch self {
        case .blob(let bytes), .evidence(let bytes):
            let field = type == .blob ? "blob" : "evidence"
            guard !bytes.isEmpty else { throw .emptyPayload(field: field) }
            guard bytes.count <= Int(UInt32.max) else { throw .blobTooLarge(size: bytes.count, limit: Int(UInt32.max)) }
            writer.write(UInt32(bytes.count))
            writer.write(bytes: bytes)
        case .have(let ids), .want(let ids), .idontwant(let ids):
            guard ids.count <= Self.maxIDs else { throw .tooManyItems(count: ids.count, limit: Self.maxIDs) }
            writer.write(UInt16(ids.count))
            for id in ids { writer.write(id) }
        case .peers(let addresses):
            guard addresses.count <= Self.maxPeers else {
                throw .tooManyItems(count: addresses.count, limit: Self.maxPeers)
            }
            writer.write(UInt16(addresses.count))
            for address in addresses {
                let host = Array(address.host.utf8)
                writer.write(UInt8(host.count))
                writer.write(bytes: host)
                writer.write(address.port)
            }
        case .ping(let nonce), .pong(let nonce):
            writer.write(nonce)
        case .goodbye(let reason):
            writer.write(reason.rawValue)
        case .hello(let listenPort):
            writer.write(listenPort)
        case .syncRequest(let bytes), .syncResponse(let bytes):
            guard !bytes.isEmpty else { throw .emptyPayload(field: "sync") }
            guard bytes.count <= Self.maxSyncBytes else {
                throw .syncTooLarge(size: bytes.count, limit: Self.maxSyncBytes)
            }
            writer.write(UInt32(bytes.count))
            writer.write(bytes: bytes)
        }
        return writer.bytes
    }

    /// Decodes exactly one message; never traps on any input.
    /// - Throws: a `ProtocolError` naming the first problem found.
    public static func decode(_ bytes: [UInt8], limits: Limits = .default) throws(ProtocolError) -> WireMessage {
        guard !bytes.isEmpty else { throw .emptyMessage }
        var reader = Reader(ByteReader(bytes))
        let version = try reader.uint8("version")
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let typeByte = try reader.uint8("type")
        guard let type = MessageType(rawValue: typeByte) else { throw .unknownMessageType(typeByte) }
        let message: WireMessage
        switch type {
        case .blob:
            message = .blob(try reader.sized("blob", limit: limits.maxBlobBytes, tooLarge: ProtocolError.blobTooLarge))
        case .evidence:
            message = .evidence(
                try reader.sized("evidence", limit: limits.maxEvidenceBytes, tooLarge: ProtocolError.evidenceTooLarge)
            )
        case .syncRequest:
            message = .syncRequest(try reader.sized("sync", limit: maxSyncBytes, tooLarge: ProtocolError.syncTooLarge))
        case .syncResponse:
            message = .syncResponse(try reader.sized("sync", limit: maxSyncBytes, tooLarge: ProtocolError.syncTooLarge))
        case .have: message = .have(try reader.ids())
        case .want: message = .want(try reader.ids())
        case .idontwant: message = .idontwant(try reader.ids())
        case .peers:
            let count = Int(try reader.uint16("peer count"))
            guard count <= maxPeers else { throw .tooManyItems(count: count, limit: maxPeers) }
            var addresses: [PeerAddress] = []
            addresses.reserveCapacity(count)
            for _ in 0..<count {
                let hostLength = Int(try reader.uint8("host length"))
                let host = try reader.bytes(hostLength, "host")
                let port = try reader.uint16("port")
                addresses.append(try PeerAddress(hostBytes: host, port: port))
            }
            message = .peers(addresses)
        case .ping: message = .ping(try reader.uint64("nonce"))
        case .pong: message = .pong(try reader.uint64("nonce"))
        case .goodbye: message = .goodbye(GoodbyeReason(rawValue: try reader.uint8("reason")))
        case .hello: message = .hello(listenPort: try reader.uint16("listen port"))
        }
        try reader.expectEnd()
        return message
    }

    /// `ByteReader` with its errors mapped to `ProtocolError`.
    private struct Reader {
        var inner: ByteReader

        init(_ inner: ByteReader) { self.inner = inner }

        mutating func uint8(_ field: String) throws(ProtocolError) -> UInt8 {
            do { return try inner.readUInt8(field) } catch { throw Self.map(error) }
        }

        mutating func uint16(_ field: String) throws(ProtocolError) -> UInt16 {
            do { return try inner.readUInt16(field) } catch { throw Self.map(error) }
        }

        mutating func uint32(_ field: String) throws(ProtocolError) -> UInt32 {
            do { return try inner.readUInt32(field) } catch { throw Self.map(error) }
        }

        mutating func uint64(_ field: String) throws(ProtocolError) -> UInt64 {
            do { return try inner.readUInt64(field) } catch { throw Self.map(error) }
        }

        mutating func bytes(_ count: Int, _ field: String) throws(ProtocolError) -> [UInt8] {
            do { return try inner.readBytes(count, field) } catch { throw Self.map(error) }
        }

        mutating func sized(
            _ field: String,
            limit: Int,
            tooLarge: (_ size: Int, _ limit: Int) -> ProtocolError
        ) throws(ProtocolError) -> [UInt8] {
            let length = Int(try uint32("\(field) length"))
            guard length > 0 else { throw .emptyPayload(field: field) }
            guard length <= limit else { throw tooLarge(length, limit) }
            return try bytes(length, field)
        }

        mutating func ids() throws(ProtocolError) -> [BlobID] {
            let count = Int(try uint16("id count"))
            guard count <= WireMessage.maxIDs else { throw .tooManyItems(count: count, limit: WireMessage.maxIDs) }
            guard inner.remaining >= count * 32 else { throw .truncated(field: "ids") }
            var ids: [BlobID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count {
                do { ids.append(try inner.read(BlobID.self, "id")) } catch { throw Self.map(error) }
            }
            return ids
        }

        func expectEnd() throws(ProtocolError) {
            guard inner.remaining == 0 else { throw .trailingBytes(count: inner.remaining) }
        }

        private static func map(_ error: CoreError) -> ProtocolError {
            if case .truncated(let field) = error { return .truncated(field: field) }
            return .truncated(field: "\(error)")
        }
    }
}
