/// The files that differ between an expected manifest (a proposal, a ratified tree) and a found one (a directory on
/// disk), in ascending path order. Pure: it compares entries, it reads no file.
public struct TreeDiff: Hashable, Sendable {
    /// One path that differs.
    public struct Change: Hashable, Sendable, CustomStringConvertible {
        /// How a path differs.
        public enum Kind: Hashable, Sendable {
            /// Found, not expected.
            case added
            /// Expected, not found.
            case removed
            /// In both, with other contents or another mode.
            case changed
        }

        /// The path.
        public let path: TreePath
        /// The entry the expected manifest has at `path`.
        public let expected: TreeEntry?
        /// The entry the found manifest has at `path`.
        public let found: TreeEntry?

        /// Added, removed or changed.
        public var kind: Kind {
            switch (expected, found) {
            case (nil, _): .added
            case (_, nil): .removed
            default: .changed
            }
        }

        /// `+`, `-` or `~`, the prefix of `cairn tree diff`'s lines.
        public var symbol: Character {
            switch kind {
            case .added: "+"
            case .removed: "-"
            case .changed: "~"
            }
        }

        /// `+ path`, `- path` or `~ path`.
        public var description: String { "\(symbol) \(path)" }
    }

    /// Every path that differs, ascending.
    public let changes: [Change]

    /// `true` when both manifests list the same entries (and so have the same root).
    public var isEmpty: Bool { changes.isEmpty }

    /// Compares two manifests in one merge over their sorted entries.
    public init(expected: TreeManifest, found: TreeManifest) {
        var changes: [Change] = []
        var old = expected.entries[...]
        var new = found.entries[...]
        while let next = Self.nextPath(old.first, new.first) {
            let expectedEntry = old.first?.path == next ? old.popFirst() : nil
            let foundEntry = new.first?.path == next ? new.popFirst() : nil
            if expectedEntry != foundEntry {
                changes.append(Change(path: next, expected: expectedEntry, found: foundEntry))
            }
        }
        self.changes = changes
    }

    /// The lower of the two next paths.
    private static func nextPath(_ old: TreeEntry?, _ new: TreeEntry?) -> TreePath? {
        switch (old?.path, new?.path) {
        case (nil, nil): nil
        case (let path?, nil), (nil, let path?): path
        case (let left?, let right?): min(left, right)
        }
    }
}
