import CairnCore

extension PeerManager {
    /// The known dialable addresses with their dial history, bounded for learned entries.
    ///
    /// Iteration for decisions goes through `ordered` (insertion order), never the dictionary's own order, so
    /// a run is reproducible from its seed.
    struct AddressBook: Sendable {
        struct Entry: Sendable {
            /// Insertion order.
            let serial: UInt64
            /// Configured bootstrap addresses are never evicted or forgotten and do not count toward the bound.
            var isBootstrap: Bool
            /// Consecutive failed dials.
            var failures = 0
            /// The earliest instant the address may be dialled again.
            var nextDialAtMilliseconds: UInt64 = 0
            /// The node key last authenticated at this address.
            var key: PublicKey?
        }

        /// The most learned (non-bootstrap) entries.
        let capacity: Int
        private(set) var entries: [PeerAddress: Entry] = [:]
        private(set) var learnedCount = 0
        private var nextSerial: UInt64 = 0

        init(capacity: Int) {
            self.capacity = max(0, capacity)
        }

        /// `true` when no further learned address fits without an eviction.
        var isFull: Bool { learnedCount >= capacity }

        /// Every entry, oldest first.
        var ordered: [(address: PeerAddress, entry: Entry)] {
            entries.map { (address: $0.key, entry: $0.value) }.sorted { $0.entry.serial < $1.entry.serial }
        }

        subscript(address: PeerAddress) -> Entry? { entries[address] }

        func contains(_ address: PeerAddress) -> Bool { entries[address] != nil }

        /// Adds an address; a known learned address given as bootstrap becomes bootstrap. Returns `false` when it
        /// was already known. The caller checks `isFull` for learned addresses.
        @discardableResult
        mutating func insert(_ address: PeerAddress, bootstrap: Bool) -> Bool {
            if var existing = entries[address] {
                if bootstrap, !existing.isBootstrap {
                    existing.isBootstrap = true
                    entries[address] = existing
                    learnedCount -= 1
                }
                return false
            }
            assert(bootstrap || learnedCount < capacity, "address book over its bound")
            entries[address] = Entry(serial: nextSerial, isBootstrap: bootstrap)
            nextSerial += 1
            if !bootstrap { learnedCount += 1 }
            return true
        }

        @discardableResult
        mutating func remove(_ address: PeerAddress) -> Entry? {
            guard let entry = entries.removeValue(forKey: address) else { return nil }
            if !entry.isBootstrap { learnedCount -= 1 }
            return entry
        }

        mutating func update(_ address: PeerAddress, _ change: (inout Entry) -> Void) {
            guard var entry = entries[address] else { return }
            change(&entry)
            entries[address] = entry
        }
    }
}
