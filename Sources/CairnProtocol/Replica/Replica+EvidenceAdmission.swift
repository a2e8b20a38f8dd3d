import CairnCore
import DequeModule

extension Replica {
    /// Evidence from peers on its way to verification: copies of bytes already in verification are not verified
    /// again, at most `maxVerifications` run at once, and up to `maxWaitingBytes` wait their turn, oldest first, of
    /// which one sender may hold at most a quarter (so one peer cannot crowd out the others' evidence).
    struct EvidenceAdmission: Sendable {
        /// What `admit` decided.
        enum Admission: Sendable, Equatable {
            /// Start verifying it now.
            case verify
            /// It waits for a verification slot.
            case queued
            /// The same bytes are already being verified or waiting.
            case duplicate
            /// No room: dropped (peers offer it again on their next connection).
            case full
        }

        struct Waiting: Sendable {
            var bytes: [UInt8]
            var digest: EvidenceDigest
            var from: PeerID
        }

        let maxVerifications: Int
        let maxWaitingBytes: Int
        private(set) var inFlight = 0
        private var pending: Set<EvidenceDigest> = []
        private var waiting = Deque<Waiting>()
        private(set) var waitingBytes = 0
        private var waitingBytesBySender: [PeerID: Int] = [:]

        /// The share of the waiting bytes one sender may hold.
        var maxWaitingBytesPerSender: Int { maxWaitingBytes / 4 }

        init(maxVerifications: Int, maxWaitingBytes: Int) {
            self.maxVerifications = max(1, maxVerifications)
            self.maxWaitingBytes = maxWaitingBytes
        }

        mutating func admit(_ bytes: [UInt8], digest: EvidenceDigest, from peer: PeerID) -> Admission {
            guard !pending.contains(digest) else { return .duplicate }
            if inFlight < maxVerifications {
                pending.insert(digest)
                inFlight += 1
                return .verify
            }
            let senderBytes = waitingBytesBySender[peer, default: 0]
            guard waitingBytes + bytes.count <= maxWaitingBytes,
                senderBytes + bytes.count <= maxWaitingBytesPerSender
            else { return .full }
            pending.insert(digest)
            waiting.append(Waiting(bytes: bytes, digest: digest, from: peer))
            waitingBytes += bytes.count
            waitingBytesBySender[peer] = senderBytes + bytes.count
            return .queued
        }

        /// A verification ended; returns the next waiting evidence to verify, if any.
        mutating func finished(_ digest: EvidenceDigest) -> Waiting? {
            guard pending.remove(digest) != nil else { return nil }
            inFlight -= 1
            guard let next = waiting.popFirst() else { return nil }
            waitingBytes -= next.bytes.count
            let senderBytes = waitingBytesBySender[next.from, default: 0] - next.bytes.count
            waitingBytesBySender[next.from] = senderBytes > 0 ? senderBytes : nil
            inFlight += 1
            return next
        }
    }
}
