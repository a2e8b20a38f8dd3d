import CairnCore
import CairnNode
import CairnStore
import Foundation
import Hummingbird

/// An API failure, sent as JSON `{error, detail}` with its HTTP status.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A short machine-readable code, e.g. `bad_signature`.
    public let error: String
    /// A sentence for a person.
    public let detail: String

    /// Builds an error with its status, code and explanation.
    public init(_ status: HTTPResponse.Status, _ error: String, _ detail: String) {
        self.status = status
        self.error = error
        self.detail = detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["error": error, "detail": detail])
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// 507: the node has no room to store the request's data.
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    static func badRequest(_ error: String, _ detail: String) -> APIError { APIError(.badRequest, error, detail) }

    static func notFound(_ detail: String) -> APIError { APIError(.notFound, "not_found", detail) }

    /// Maps an object error to 400 (or 413 for size).
    init(_ error: CoreError) {
        switch error {
        case .blobTooLarge(let size, let limit):
            self.init(.contentTooLarge, "too_large", "payload of \(size) bytes exceeds the limit of \(limit) bytes")
        case .badSignature:
            self.init(.badRequest, "bad_signature", "the signature does not verify")
        case .invalidChannelName(let reason):
            self.init(.badRequest, "invalid_channel", "invalid channel name: \(reason)")
        case .truncated(let field):
            self.init(.badRequest, "malformed_blob", "the blob ends inside its \(field)")
        case .trailingBytes(let count):
            self.init(.badRequest, "malformed_blob", "\(count) bytes follow the end of the blob")
        case .unsupportedVersion(let version):
            self.init(.badRequest, "malformed_blob", "unsupported format version \(version)")
        case .invalidSeq(let seq):
            self.init(.badRequest, "malformed_blob", "invalid seq \(seq)")
        case .invalidPrev(let seq):
            self.init(.badRequest, "malformed_blob", "prev must be zero exactly when seq is 1 (seq \(seq))")
        default:
            self.init(.badRequest, "invalid", "\(error)")
        }
    }

    /// Maps a node error to its status: 400/413 for bad input, 403 beyond the node's quota, 503 when busy or stopping,
    /// 507 when the disk is full, 500 otherwise.
    init(_ error: NodeError) {
        switch error {
        case .invalid(let core): self.init(core)
        case .shuttingDown: self.init(.serviceUnavailable, "shutting_down", "the node is shutting down")
        case .refused(let owner, let reason):
            self.init(.badRequest, "refused_payload", "\(owner) refuses this payload on its channel: \(reason)")
        case .quotaExceeded(let refusal):
            self.init(.forbidden, "quota_exceeded", "this node does not store the blob: \(refusal)")
        case .store(.storageFull(_, _, let message)):
            self.init(
                Self.insufficientStorage,
                "storage_full",
                "the node's disk is full (\(message)); nothing was stored"
            )
        case .store(.tooManyPending(let limit)):
            self.init(.serviceUnavailable, "busy", "more than \(limit) writes are queued; retry later")
        case .store(.closed): self.init(.serviceUnavailable, "shutting_down", "the store is closed")
        case .store(.invalidBlob(let core)): self.init(core)
        case .store(let store): self.init(.internalServerError, "store_failure", "\(store)")
        }
    }

    /// Maps a store read error to 500.
    init(_ error: StoreError) {
        self.init(NodeError.store(error))
    }
}
