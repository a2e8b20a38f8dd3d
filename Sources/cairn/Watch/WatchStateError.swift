/// Why `cairn watch` cannot use its state directory; each ends the watcher with exit status 1.
enum WatchStateError: Error, Equatable, CustomStringConvertible {
    /// Another `cairn watch` holds the directory's lock.
    case locked(path: String)
    /// A state file holds something other than a journal this watcher wrote.
    case unreadable(path: String, line: Int, reason: String)
    /// A state file names another node than the one it was opened for (two URLs that map to one file name).
    case otherNode(path: String, node: String)
    /// A file operation failed.
    case io(path: String, reason: String)

    var description: String {
        switch self {
        case .locked(let path):
            "another cairn watch is using the state directory \(path)"
        case .unreadable(let path, let line, let reason):
            "state file \(path) is unreadable at line \(line): \(reason); delete it to start that node over from the "
                + "oldest event it retains"
        case .otherNode(let path, let node):
            "state file \(path) belongs to \(node); give each watcher of these nodes its own --state"
        case .io(let path, let reason):
            "\(path): \(reason)"
        }
    }
}
