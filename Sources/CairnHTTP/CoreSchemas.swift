import CairnAPI
import CairnCore
import CairnNode
import CairnStore
import Foundation
import OpenAPIRuntime

// The core routes' JSON bodies are the types swift-openapi-generator builds from Docs/openapi.yaml (module CairnAPI),
// so an answer cannot drift from the document; these initialisers fill them from the node's values (u64 as decimal
// strings, ids as lower-case hex).

/// A blob's metadata (`Blob`); `payload` (base64) only where the route says so.
typealias BlobJSON = Components.Schemas.Blob
/// `GET /v1/channels/{author}/{name}`: one page of a channel.
typealias ChannelPageJSON = Components.Schemas.ChannelPage
/// The answer to a POST that stored (or already had) a blob.
typealias PutJSON = Components.Schemas.PutResult
/// `GET /v1/node`.
typealias NodeJSON = Components.Schemas.NodeInfo
/// `GET /v1/evidence/{id}`.
typealias EvidenceJSON = Components.Schemas.Evidence
/// One element of `GET /v1/evidence`, and the data of an `evidence` event.
typealias EvidenceSummaryJSON = Components.Schemas.EvidenceSummary
/// `GET /v1/peers`.
typealias PeersJSON = Components.Schemas.Peers

extension Components.Schemas.Blob {
    init(_ blob: SignedBlob, includePayload: Bool = false) {
        self.init(
            id: blob.id.hex,
            author: blob.author.hex,
            channel: blob.channel.value,
            seq: String(blob.seq),
            prev: blob.prev.hex,
            timestamp: String(blob.timestamp),
            size: blob.payload.count,
            payload: includePayload ? Base64EncodedData(blob.payload) : nil
        )
    }

    /// A channel listing's entry, with `prevMismatch`.
    init(_ entry: ChannelEntry) {
        self.init(entry.blob)
        prevMismatch = entry.prevMismatch
    }
}

extension Components.Schemas.PutResult {
    init(_ blob: SignedBlob, stored: Bool, evidence: [EvidenceID]) {
        self.init(
            id: blob.id.hex,
            author: blob.author.hex,
            channel: blob.channel.value,
            seq: String(blob.seq),
            stored: stored,
            evidence: evidence.map(\.hex)
        )
    }
}

extension Components.Schemas.Evidence {
    init(_ evidence: Evidence) {
        self.init(
            id: evidence.id.hex,
            kind: evidence.kind.description,
            blobs: [evidence.first, evidence.second].map {
                Components.Schemas.BlobWithPayload(value1: BlobJSON($0, includePayload: true), value2: .init())
            },
            encoding: Base64EncodedData(evidence.encoding)
        )
    }
}

extension Components.Schemas.EvidenceSummary {
    /// What conflicts, without the payloads: `channel` and `seq` of the first blob (the smaller id).
    init(_ evidence: Evidence) {
        self.init(
            id: evidence.id.hex,
            kind: evidence.kind.description,
            author: evidence.first.author.hex,
            channel: evidence.first.channel.value,
            seq: String(evidence.first.seq),
            blobs: [evidence.first.id.hex, evidence.second.id.hex]
        )
    }
}

extension Components.Schemas.Peer {
    /// A connected peer, its connection time as a decimal string.
    init(_ summary: PeerSummary) {
        self.init(
            id: summary.id.hex,
            direction: summary.direction == "inbound" ? .inbound : .outbound,
            address: summary.address,
            score: summary.score,
            mesh: summary.mesh,
            connectedAtMilliseconds: String(summary.connectedAtMilliseconds),
            queuedBytes: summary.queuedBytes
        )
    }
}

extension Components.Schemas.Ban {
    init(_ record: BanRecord) {
        self.init(id: record.key.hex, untilMilliseconds: String(record.untilMilliseconds), reason: record.reason)
    }
}
