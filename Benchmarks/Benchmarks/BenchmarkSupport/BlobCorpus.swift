import CairnCore
import Foundation

/// Pre-signed canonical blob encodings, made once outside every measured region.
///
/// Blob `i` is seq 1 of channel `bench-<i>` of author `i % authorCount`, so every blob is new to an empty store and
/// no two blobs share a slot (no fork evidence is recorded).
public struct BlobCorpus: Sendable {
    /// The number of blobs a benchmark iteration ingests.
    public static let defaultBlobCount = 20_000
    /// The payload size of every blob (1 KiB).
    public static let defaultPayloadBytes = 1024
    /// The number of distinct authors.
    public static let defaultAuthorCount = 16

    /// The canonical encodings, signature included.
    public let encodings: [[UInt8]]

    /// The number of blobs.
    public var count: Int { encodings.count }

    /// Signs `count` blobs of `payloadBytes` each on every core.
    public init(
        count: Int = defaultBlobCount,
        payloadBytes: Int = defaultPayloadBytes,
        authorCount: Int = defaultAuthorCount
    ) {
        let keys = (0..<authorCount).map { index in
            // A 32-byte seed always derives a key pair.
            try! SigningKey(seed: [UInt8](repeating: UInt8(truncatingIfNeeded: index + 1), count: SigningKey.seedBytes))
        }
        let timestamp = UInt64(Date().timeIntervalSince1970 * 1000)
        let signed = ConcurrentSlots<[UInt8]>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            var payload = [UInt8](repeating: 0, count: payloadBytes)
            withUnsafeBytes(of: UInt64(index).littleEndian) { payload.replaceSubrange(0..<$0.count, with: $0) }
            // The fields are valid by construction: seq 1 with a zero prev, a short channel, a 1 KiB payload.
            let blob = try! SignedBlob.sign(
                key: keys[index % authorCount],
                channel: try! ChannelName("bench-\(index)"),
                seq: 1,
                prev: .zero,
                timestamp: timestamp,
                payload: payload
            )
            signed[index] = blob.encoding
        }
        encodings = signed.values
    }

    /// The encodings split into consecutive chunks of at most `size`.
    public func chunks(of size: Int) -> [ArraySlice<[UInt8]>] {
        stride(from: 0, to: count, by: size).map { encodings[$0..<min($0 + size, count)] }
    }
}
