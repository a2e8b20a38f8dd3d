import CairnCore
import Foundation

/// What a member has signed, so that it never signs two values for one (epoch, height), across restarts: slashing
/// protection.
///
/// Each signature is recorded, and the record made durable, *before* the signature is published. In memory for the
/// simulator and tests; backed by an append-only file of JSON lines for a node (`init(path:)`), synced after every
/// record. The record exports and imports as JSON in the manner of EIP-3076 (`Interchange`).
public struct SigningProtection: Sendable {
    /// One signed (epoch, height, value).
    public struct Record: Sendable, Hashable, Codable {
        /// The epoch the signature named.
        public let epoch: UInt64
        /// The height it named.
        public let height: UInt64
        /// The block hash it signed.
        public let block: BlockHash
        /// The vote set it signed.
        public let voteSet: BlobID

        /// A record of a signature over `value` for (`epoch`, `height`).
        public init(epoch: UInt64, height: UInt64, value: QuorumValue) {
            self.epoch = epoch
            self.height = height
            self.block = value.block
            self.voteSet = value.voteSet
        }

        /// The value signed.
        public var value: QuorumValue { QuorumValue(block: block, voteSet: voteSet) }

        enum CodingKeys: String, CodingKey {
            case epoch, height, block
            case voteSet = "vote_set"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            epoch = try Self.decimal(container, .epoch)
            height = try Self.decimal(container, .height)
            block = try container.decode(BlockHash.self, forKey: .block)
            voteSet = try container.decode(BlobID.self, forKey: .voteSet)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            // u64 values travel as decimal strings.
            try container.encode(String(epoch), forKey: .epoch)
            try container.encode(String(height), forKey: .height)
            try container.encode(block, forKey: .block)
            try container.encode(voteSet, forKey: .voteSet)
        }

        private static func decimal(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws
            -> UInt64
        {
            let text = try container.decode(String.self, forKey: key)
            guard let value = UInt64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: container,
                    debugDescription: "expected a decimal u64 string, got \"\(text)\""
                )
            }
            return value
        }
    }

    private var signed: [QuorumSlot: Set<QuorumValue>] = [:]
    private var all: [Record] = []
    private let file: ProtectionFile?

    /// An empty record kept in memory only (the simulator, tests).
    public init() {
        file = nil
    }

    /// The record in the file at `path`, created empty if missing; later records are appended to it and synced.
    /// - Throws: `SigningProtectionError` when the file cannot be read or written, or holds a line that is not a
    ///   record (a torn last line without its newline, left by a crash before the record was synced, is dropped:
    ///   its signature was never published).
    public init(path: String) throws(SigningProtectionError) {
        let file = try ProtectionFile(path: path)
        self.file = file
        for record in try file.load() { remember(record) }
    }

    /// Every record, in the order recorded.
    public var records: [Record] { all }

    /// The path of the file behind the record, if any.
    public var path: String? { file?.path }

    /// Whether signing `value` for (`epoch`, `height`) is safe: nothing recorded for that slot, or this same value.
    public func permits(epoch: UInt64, height: UInt64, value: QuorumValue) -> Bool {
        guard let values = signed[QuorumSlot(epoch: epoch, height: height)] else { return true }
        return values.contains(value)
    }

    /// What was signed for (`epoch`, `height`), in value order.
    public func signedValues(epoch: UInt64, height: UInt64) -> [QuorumValue] {
        (signed[QuorumSlot(epoch: epoch, height: height)] ?? []).sorted()
    }

    /// Records a signature and makes it durable; recording a value already recorded changes nothing.
    /// - Throws: `SigningProtectionError.io` when the file cannot be written: the signature must not be published.
    public mutating func record(_ record: Record) throws(SigningProtectionError) {
        guard !(signed[QuorumSlot(epoch: record.epoch, height: record.height)]?.contains(record.value) ?? false)
        else { return }
        try file?.append([record])
        remember(record)
    }

    /// Adds records from an export (a restore from backup); records already held are skipped.
    /// - Returns: how many were new.
    /// - Throws: `SigningProtectionError.io` when the file cannot be written.
    @discardableResult
    public mutating func merge(_ records: [Record]) throws(SigningProtectionError) -> Int {
        var seen = Set(all)
        let new = records.filter { seen.insert($0).inserted }
        guard !new.isEmpty else { return 0 }
        try file?.append(new)
        for record in new { remember(record) }
        return new.count
    }

    private mutating func remember(_ record: Record) {
        let inserted = signed[QuorumSlot(epoch: record.epoch, height: record.height), default: []].insert(
            record.value
        ).inserted
        if inserted { all.append(record) }
    }
}

/// Why a signing-protection record cannot be used.
public enum SigningProtectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read, created, written or synced.
    case io(path: String, reason: String)
    /// A line of the file is not a record.
    case malformedLine(path: String, line: Int)
    /// An interchange document is not valid JSON of the expected shape.
    case malformedInterchange(reason: String)
    /// An interchange document is for another network.
    case otherGenesis(expected: GenesisHash, found: String)
    /// An interchange document holds records of another key.
    case otherKey(expected: PublicKey, found: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): "\(path): \(reason)"
        case .malformedLine(let path, let line):
            "\(path): line \(line) is not a signing record (restore the file from a backup, or import an export)"
        case .malformedInterchange(let reason): "not a signing-protection export: \(reason)"
        case .otherGenesis(let expected, let found):
            "the export is for genesis \(found), this node runs genesis \(expected.hex)"
        case .otherKey(let expected, let found):
            "the export holds records of key \(found), this node's key is \(expected.hex)"
        }
    }
}

/// The append-only file behind a `SigningProtection`: one JSON record per line.
private struct ProtectionFile: Sendable {
    let path: String

    init(path: String) throws(SigningProtectionError) {
        self.path = path
        let manager = FileManager.default
        guard !manager.fileExists(atPath: path) else { return }
        do {
            try manager.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
        } catch {
            throw .io(path: path, reason: "cannot create its directory: \(error.localizedDescription)")
        }
        guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw .io(path: path, reason: "cannot create the file")
        }
    }

    func load() throws(SigningProtectionError) -> [SigningProtection.Record] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, reason: "cannot read the file")
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // The last element is empty after a final newline; anything else there is a torn write, never synced.
        lines.removeLast()
        let decoder = JSONDecoder()
        var records: [SigningProtection.Record] = []
        for (index, line) in lines.enumerated() {
            guard let record = try? decoder.decode(SigningProtection.Record.self, from: Data(line)) else {
                throw .malformedLine(path: path, line: index + 1)
            }
            records.append(record)
        }
        return records
    }

    func append(_ records: [SigningProtection.Record]) throws(SigningProtectionError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = Data()
        for record in records {
            // A record of strings always encodes.
            bytes += try! encoder.encode(record)
            bytes.append(UInt8(ascii: "\n"))
        }
        do {
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try truncateTornLine(handle)
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            throw .io(path: path, reason: "cannot record a signature: \(error.localizedDescription)")
        }
    }

    /// Cuts a last line without its newline (a crash mid-write) so that the next record starts on a line of its own.
    private func truncateTornLine(_ handle: FileHandle) throws {
        let size = try handle.seekToEnd()
        guard size > 0 else { return }
        try handle.seek(toOffset: size - 1)
        guard try handle.read(upToCount: 1) != Data([UInt8(ascii: "\n")]) else { return }
        let data = FileManager.default.contents(atPath: path) ?? Data()
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        try handle.truncate(atOffset: UInt64(keep))
    }
}
