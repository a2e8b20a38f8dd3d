import Foundation
import Testing

extension MeshProcessTests {
    /// Issue 12, item 3: 500 connections from 127.0.0.2–127.0.0.9 that connect and send nothing do not keep an
    /// honest node from 127.0.0.1 out: it is connected within 2 s. The node raised its descriptor limit and said so.
    @Test func fiveHundredSilentSocketsDoNotLockAnHonestPeerOut() async throws {
        try await withTemporaryDirectory { root in
            let cluster = MeshCluster(root: root)
            defer { cluster.stopAll() }
            try await cluster.start()
            let target = cluster.meshAddresses[0]
            let port = try #require(Int(target.split(separator: ":").last ?? ""))
            var silent: [SilentSocket] = []
            defer { silent.removeAll() }
            for index in 0..<500 {
                silent.append(try SilentSocket(from: "127.0.0.\(2 + index % 8)", to: port))
            }
            // Every handshake slot is taken: the node refused (or evicted for) at least 100 of them. Not all 500: the
            // listen backlog overflows, and a connection whose last ACK the kernel dropped never reaches the node.
            let full = try await eventually(timeout: .seconds(30)) {
                let metrics = try await cluster.metricsText(of: 0)
                return Self.counter("cairn_p2p_handshakes_refused_total", in: metrics)
                    + Self.counter("cairn_p2p_handshakes_evicted_total", in: metrics) >= 100
            }
            #expect(full, "the node did not refuse the silent connections beyond its handshake slots")
            let started = ContinuousClock.now
            let honest = try await cluster.start(peers: [0])
            let honestID = try await cluster.id(of: honest)
            let connected = try await eventually(timeout: .seconds(2)) {
                try await cluster.peerIDs(of: 0).contains(honestID)
            }
            #expect(connected, "the honest node was not connected \(ContinuousClock.now - started) after it started")
            #expect(cluster.nodes[0].log.contains("open-descriptor limit"))
        }
    }

    /// The value of an unlabelled Prometheus counter, 0 when absent.
    static func counter(_ name: String, in metrics: String) -> Int {
        for line in metrics.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return 0
    }
}

/// A TCP connection from a chosen loopback address (Linux routes all of 127.0.0.0/8 on `lo`) that never sends a byte.
final class SilentSocket {
    private let descriptor: Int32

    /// Binds to `host` and starts connecting to 127.0.0.1:`port` without waiting (the kernel completes it).
    init(from host: String, to port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BlockingSocket.SocketError.failed("socket", errno) }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        var local = Self.address(host, port: 0)
        var remote = Self.address("127.0.0.1", port: port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, connected == 0 || errno == EINPROGRESS else {
            let code = errno
            close(descriptor)
            throw BlockingSocket.SocketError.failed(bound == 0 ? "connect" : "bind", code)
        }
    }

    deinit { close(descriptor) }

    /// `true` once the node closed or reset the connection.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
    }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}
