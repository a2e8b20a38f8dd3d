import DequeModule
import Foundation

/// What `cairn watch` remembers in its state directory: one `WatchJournal` per node and, across them, the keys of the
/// events already handled (bounded: `WatchJournal.keysKept` per node, the oldest forgotten first).
actor WatchState {
    let directory: String
    private var journals: [String: WatchJournal] = [:]
    private var recorded: Set<String> = []
    private var recordedOrder: Deque<String> = []
    private let capacity: Int
    /// Held open for the life of the process: its `flock` keeps a second watcher out of the directory.
    private let lockDescriptor: Int32

    /// Opens (creating) `directory` with mode 0700, locks it and loads the journal of every node.
    /// - Throws: `WatchStateError`.
    init(directory: String, nodes: [String]) throws(WatchStateError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw .io(path: directory, reason: "cannot create the state directory: \(error.localizedDescription)")
        }
        let lockPath = directory + "/lock"
        lockDescriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockDescriptor >= 0 else {
            throw .io(path: lockPath, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            throw .locked(path: directory)
        }
        capacity = WatchJournal.keysKept * max(1, nodes.count)
        for node in nodes {
            let journal = try WatchJournal(path: directory + "/" + Self.fileName(for: node), node: node)
            journals[node] = journal
            for key in journal.keys { Self.remember(key, in: &recorded, order: &recordedOrder, capacity: capacity) }
        }
    }

    /// The file name of `node`'s journal: the URL with `://` and every character other than letters, digits, `.`
    /// and `-` replaced by `_`, then `.state`. The file's first line names the URL, so two URLs that map to one
    /// name are told apart.
    static func fileName(for node: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        let name = node.replacingOccurrences(of: "://", with: "_").map { allowed.contains($0) ? $0 : "_" }
        return String(name) + ".state"
    }

    /// The last event handled or skipped from `node`; `nil` before the first.
    func position(of node: String) -> UInt64? {
        journals[node]?.position
    }

    /// Whether an event with this de-duplication key was handled (from any node).
    func isRecorded(_ key: String) -> Bool {
        recorded.contains(key)
    }

    /// Records, durably, that `event` was handled.
    func handled(_ event: WatchEvent, key: String) throws(WatchStateError) {
        try journals[event.node]!.handled(event.id, key: key)
        Self.remember(key, in: &recorded, order: &recordedOrder, capacity: capacity)
    }

    /// Records that `event` was skipped as a duplicate.
    func skipped(_ event: WatchEvent) throws(WatchStateError) {
        try journals[event.node]!.skipped(event.id)
    }

    /// Adds `key`, forgetting the oldest key beyond `capacity`.
    private static func remember(
        _ key: String,
        in recorded: inout Set<String>,
        order: inout Deque<String>,
        capacity: Int
    ) {
        guard recorded.insert(key).inserted else { return }
        order.append(key)
        if order.count > capacity, let oldest = order.popFirst() {
            recorded.remove(oldest)
        }
    }
}
