import DequeModule
import Foundation

/// One node's state file: where the watcher is in that node's event log, and the de-duplication keys of the events
/// it handled from that node.
///
/// An append-only journal of lines, each added with one `write`:
/// - `cairn-watch 1 URL`: the first line, the format and the node the file belongs to;
/// - `e SEQ KEY`: event SEQ was handled (printed, or its command exited 0) with de-duplication key KEY; fsync'd
///   before the watcher goes on;
/// - `p SEQ`: event SEQ was skipped as a duplicate; not fsync'd (losing it only brings the duplicate back, to be
///   skipped again);
/// - `k KEY`: a key carried over by a rewrite.
///
/// The position is the SEQ of the last `e` or `p` line. Only the last line can be incomplete (a write cut short by a
/// crash); it is ignored and the file rewritten. Any other malformed line makes the file unreadable. A file of more
/// than `rewriteAfterLines` lines is rewritten with its newest `keysKept` keys and the position (a temporary file,
/// fsync, rename, fsync of the directory), so it stays bounded.
struct WatchJournal {
    static let formatLine = "cairn-watch 1"
    /// The keys a rewrite keeps: a node lagging more events behind another than this may repeat one of them.
    static let keysKept = 10_000
    /// Lines beyond which the journal is rewritten.
    static let rewriteAfterLines = 2 * keysKept

    let path: String
    let node: String
    /// The last event handled or skipped; `nil` when none was.
    private(set) var position: UInt64?
    /// Keys of the events handled from this node, oldest first (at most `rewriteAfterLines`).
    private(set) var keys: Deque<String> = []
    private var lineCount = 0
    private var descriptor: Int32 = -1

    /// Opens the journal at `path`, creating it when missing.
    /// - Throws: `WatchStateError` when it is unreadable, belongs to another node or cannot be written.
    init(path: String, node: String) throws(WatchStateError) {
        self.path = path
        self.node = node
        var needsRewrite = true
        if let contents = FileManager.default.contents(atPath: path) {
            needsRewrite = try load(contents)
        }
        if needsRewrite || lineCount > Self.rewriteAfterLines {
            try rewrite()
        } else {
            try openForAppending()
        }
    }

    /// Records that event `seq` with `key` was handled, durably.
    mutating func handled(_ seq: UInt64, key: String) throws(WatchStateError) {
        try append("e \(seq) \(key)\n", sync: true)
        position = seq
        keys.append(key)
        try rewriteIfLong()
    }

    /// Records that event `seq` was skipped as a duplicate.
    mutating func skipped(_ seq: UInt64) throws(WatchStateError) {
        try append("p \(seq)\n", sync: false)
        position = seq
        try rewriteIfLong()
    }

    /// Parses an existing file. Returns whether it must be rewritten: its last line was incomplete, or nothing in
    /// it was complete.
    private mutating func load(_ contents: Data) throws(WatchStateError) -> Bool {
        guard let text = String(data: contents, encoding: .utf8) else {
            throw .unreadable(path: path, line: 1, reason: "not UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let incomplete = !(lines.removeLast().isEmpty)
        guard let header = lines.first else { return true }
        guard header.hasPrefix(Self.formatLine + " ") else {
            throw .unreadable(path: path, line: 1, reason: "expected \"\(Self.formatLine) URL\"")
        }
        let owner = String(header.dropFirst(Self.formatLine.count + 1))
        guard owner == node else { throw .otherNode(path: path, node: owner) }
        for (index, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            switch (fields.first, fields.count) {
            case ("e", 3):
                position = try sequence(fields[1], line: index + 1)
                keys.append(try key(fields[2], line: index + 1))
            case ("p", 2):
                position = try sequence(fields[1], line: index + 1)
            case ("k", 2):
                keys.append(try key(fields[1], line: index + 1))
            default:
                throw .unreadable(path: path, line: index + 1, reason: "unknown record \"\(line.prefix(80))\"")
            }
        }
        lineCount = lines.count
        return incomplete
    }

    private func sequence(_ field: Substring, line: Int) throws(WatchStateError) -> UInt64 {
        guard field.allSatisfy(\.isASCII), let value = UInt64(field) else {
            throw .unreadable(path: path, line: line, reason: "\"\(field.prefix(40))\" is not an event sequence")
        }
        return value
    }

    private func key(_ field: Substring, line: Int) throws(WatchStateError) -> String {
        let digits = Set("0123456789abcdef")
        guard field.count == 2 * WatchEvent.keyBytes, field.allSatisfy(digits.contains) else {
            throw .unreadable(path: path, line: line, reason: "\"\(field.prefix(40))\" is not a de-duplication key")
        }
        return String(field)
    }

    private mutating func rewriteIfLong() throws(WatchStateError) {
        if lineCount > Self.rewriteAfterLines { try rewrite() }
    }

    /// Replaces the file, atomically, with the header, the newest `keysKept` keys and the position.
    private mutating func rewrite() throws(WatchStateError) {
        keys = Deque(keys.suffix(Self.keysKept))
        var text = "\(Self.formatLine) \(node)\n"
        for key in keys { text += "k \(key)\n" }
        if let position { text += "p \(position)\n" }
        let temporary = path + ".tmp"
        let file = Foundation.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw Self.failure(temporary, "cannot create") }
        defer { close(file) }
        try Self.write(text, to: file, path: temporary)
        guard fsync(file) == 0 else { throw Self.failure(temporary, "fsync") }
        guard rename(temporary, path) == 0 else { throw Self.failure(path, "cannot replace") }
        let directory = (path as NSString).deletingLastPathComponent
        let directoryDescriptor = Foundation.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw Self.failure(directory, "cannot open") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw Self.failure(directory, "fsync") }
        lineCount = 1 + keys.count + (position == nil ? 0 : 1)
        try openForAppending()
    }

    private mutating func openForAppending() throws(WatchStateError) {
        if descriptor >= 0 { close(descriptor) }
        descriptor = Foundation.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.failure(path, "cannot open for writing") }
    }

    private mutating func append(_ line: String, sync: Bool) throws(WatchStateError) {
        try Self.write(line, to: descriptor, path: path)
        if sync, fsync(descriptor) != 0 { throw Self.failure(path, "fsync") }
        lineCount += 1
    }

    private static func write(_ text: String, to descriptor: Int32, path: String) throws(WatchStateError) {
        let error = writeAll(Array(text.utf8), to: descriptor)
        guard error == 0 else { throw .io(path: path, reason: "cannot write: \(String(cString: strerror(error)))") }
    }

    private static func failure(_ path: String, _ operation: String) -> WatchStateError {
        .io(path: path, reason: "\(operation): \(String(cString: strerror(errno)))")
    }
}
