import CairnCore

/// One queued write: its payload and who hears the outcome after the commit.
enum WriteRequest: Sendable {
    /// Blobs from one `put` call, stored in one transaction; `reply` runs on the writer thread after the commit.
    case blobs([SignedBlob], reply: @Sendable (Result<[PutResult], StoreError>) -> Void)
    /// Evidence from one `record` call (checked before it is queued), with both blobs of each, stored in one
    /// transaction; `reply` runs on the writer thread after the commit.
    case evidence([Evidence], reply: @Sendable (Result<[EvidenceID], StoreError>) -> Void)
    /// A custom event from `appendEvent`.
    case event(topic: String, data: [UInt8], CheckedContinuation<Result<StoredEvent, StoreError>, Never>)
    /// A change to the peer book or the ban list.
    case peerBook(PeerBookWrite, CheckedContinuation<Result<Void, StoreError>, Never>)

    /// What the request counts against `maxBatchBlobs` and `maxPendingWrites`.
    var units: Int {
        switch self {
        case .blobs(let blobs, _): blobs.count
        // Each evidence may store two blobs.
        case .evidence(let records, _): records.count * 2
        case .event, .peerBook: 1
        }
    }

    /// Answers the caller with the committed outcome.
    func succeed(_ outcome: WriteOutcome) {
        switch (self, outcome) {
        case (.blobs(_, let reply), .blobs(let results)): reply(.success(results))
        case (.evidence(_, let reply), .evidence(let recorded)): reply(.success(recorded))
        case (.event(_, _, let continuation), .event(let event)): continuation.resume(returning: .success(event))
        case (.peerBook(_, let continuation), .peerBook): continuation.resume(returning: .success(()))
        default: preconditionFailure("outcome \(outcome) does not answer this request")
        }
    }

    /// Answers the caller with an error; nothing of the request was stored.
    func fail(_ error: StoreError) {
        switch self {
        case .blobs(_, let reply): reply(.failure(error))
        case .evidence(_, let reply): reply(.failure(error))
        case .event(_, _, let continuation): continuation.resume(returning: .failure(error))
        case .peerBook(_, let continuation): continuation.resume(returning: .failure(error))
        }
    }
}

/// What one committed request produced.
enum WriteOutcome: Sendable {
    case blobs([PutResult])
    /// Every evidence the request newly recorded.
    case evidence([EvidenceID])
    case event(StoredEvent)
    case peerBook
}
