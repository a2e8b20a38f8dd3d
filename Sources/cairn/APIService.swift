import CairnNode
import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization

/// Runs the HTTP server. A failure before it listens (the port is taken, the host does not resolve) becomes one
/// line naming the address and where it came from, instead of NIO's error value.
struct APIService: Service {
    /// Set once the server listens; later failures are reported as they are.
    final class Listening: Sendable {
        private let flag = Atomic(false)
        func set() { flag.store(true, ordering: .releasing) }
        var isSet: Bool { flag.load(ordering: .acquiring) }
    }

    /// Appended to an "address already in use" error.
    static let freePortHint = "; choose a free port (port 0 lets the system pick one)"

    let app: any Service
    let address: HostPort
    let source: String
    let listening: Listening

    func run() async throws {
        do {
            try await app.run()
        } catch {
            guard !listening.isSet else { throw error }
            throw CLIError("cannot serve the HTTP API on \(address) (\(source)): \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            let hint = error.errnoCode == EADDRINUSE ? freePortHint : ""
            return FileProblem.describe(errno: error.errnoCode) + hint
        case is SocketAddressError.UnknownHost, SocketAddressError.unknown:
            return "the host does not resolve; use an IP address or a resolvable name, e.g. 127.0.0.1:7701"
        default:
            return "\(error)"
        }
    }
}
