import Foundation

/// Writes every byte of `bytes` to `descriptor`, again after a short write or `EINTR`.
/// - Returns: 0, or the `errno` of the write that failed.
func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return written == 0 ? EIO : errno }
        offset += written
    }
    return 0
}
