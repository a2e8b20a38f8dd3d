import CairnCore
import Foundation

/// One event as `cairn watch` received it from one node.
struct WatchEvent: Sendable {
    /// The node's API URL, as given to `--api` (without a trailing slash).
    let node: String
    /// The node's event log sequence (the SSE `id`).
    let id: UInt64
    /// The SSE `event` field: the topic, or `lost`.
    let topic: String
    /// The SSE `data`: one JSON value.
    let data: String

    /// The line printed (or given to `--exec` on stdin): `{"node", "id", "topic", "data"}`, u64 as decimal strings,
    /// `data` as the node sent it when it is JSON, else as a JSON string.
    var jsonLine: String {
        let payload =
            (try? JSONSerialization.jsonObject(with: Data(data.utf8), options: .fragmentsAllowed)) != nil
            ? data : Self.quoted(data)
        return "{\"node\":\(Self.quoted(node)),\"id\":\"\(id)\",\"topic\":\(Self.quoted(topic)),\"data\":\(payload)}"
    }

    /// What the event is about, so that the same fact reported by several nodes is handled once. The fields named
    /// here identify it; a node reporting a different decision or election for one height or epoch makes another key,
    /// so it cannot hide the one the others report. Anything else is keyed by node and sequence (never merged).
    var deduplicationKey: String {
        let identity: [String]
        switch topic {
        case "evidence", "blob", "chain": identity = ["id"]
        case "equivocation": identity = ["evidence"]
        case "decided": identity = ["height", "block", "voteSet", "revised"]
        case "election": identity = ["epoch", "event", "members"]
        case "stalled": identity = ["epoch", "lastDecidedHeight"]
        case "censored": identity = ["blob"]
        default: identity = []
        }
        let parts: [String]
        let fields = self.fields
        if let primary = identity.first, fields[primary] != nil {
            parts = [topic] + identity.map { fields[$0] ?? "" }
        } else {
            parts = [topic, node, String(id)]
        }
        let digest = Blake2b.hash256(Array(parts.joined(separator: "\u{1F}").utf8))
        return Hex.encode(digest.prefix(Self.keyBytes))
    }

    /// The string fields of `data` when it is a JSON object.
    var fields: [String: String] {
        let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? String }
    }

    /// The notice a node sends first when the watcher resumes from before the oldest event it keeps.
    static let lostTopic = "lost"

    /// Bytes of the BLAKE2b digest kept as a key: 128 bits, so unrelated events never collide in practice.
    static let keyBytes = 16

    /// `text` as a JSON string.
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try! encoder.encode(text), as: UTF8.self)
    }
}
