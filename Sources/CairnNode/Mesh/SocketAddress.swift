import CLibUV
import Foundation

/// A resolved IPv4 or IPv6 socket address.
struct SocketAddress: CustomStringConvertible, Sendable {
    private var storage: sockaddr_storage

    init(storage: sockaddr_storage) {
        self.storage = storage
    }

    /// Parses a numeric IPv4 or IPv6 address; `nil` for a host name (resolve it with `resolve`).
    init?(numericHost host: String, port: Int) {
        var storage = sockaddr_storage()
        let ok = withUnsafeMutablePointer(to: &storage) { pointer -> Bool in
            if host.contains(":") {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    uv_ip6_addr(host, Int32(port), $0) == 0
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                uv_ip4_addr(host, Int32(port), $0) == 0
            }
        }
        guard ok else { return nil }
        self.storage = storage
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>) -> T) -> T {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }

    var port: Int {
        withUnsafePointer(to: storage) { pointer in
            if Int32(storage.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                Int(UInt16(bigEndian: $0.pointee.sin_port))
            }
        }
    }

    /// The numeric host, without brackets; `nil` when `uv_ip4_name`/`uv_ip6_name` cannot format it (an address
    /// family other than IPv4 and IPv6).
    var host: String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let rc = withUnsafePointer(to: storage) { pointer in
            switch Int32(storage.ss_family) {
            case AF_INET6:
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    uv_ip6_name($0, &buffer, buffer.count)
                }
            case AF_INET:
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    uv_ip4_name($0, &buffer, buffer.count)
                }
            default: UV_EAFNOSUPPORT.rawValue
            }
        }
        guard rc == 0 else { return nil }
        return String(cString: buffer)
    }

    var description: String {
        guard let host else { return "<address family \(storage.ss_family)>:\(port)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Resolves `host` (a name or a numeric address) on the loop with `uv_getaddrinfo`.
    static func resolve(
        host: String,
        port: Int,
        loop: UnsafeMutablePointer<uv_loop_t>,
        completion: @escaping (SocketAddress?) -> Void
    ) {
        if let numeric = SocketAddress(numericHost: host, port: port) {
            completion(numeric)
            return
        }
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        final class Context {
            let port: Int
            let completion: (SocketAddress?) -> Void
            init(port: Int, completion: @escaping (SocketAddress?) -> Void) {
                self.port = port
                self.completion = completion
            }
        }
        request.pointee.data = Unmanaged.passRetained(Context(port: port, completion: completion)).toOpaque()
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let rc = uv_getaddrinfo(
            loop,
            request,
            { request, status, result in
                guard let request else { return }
                let context = Unmanaged<Context>.fromOpaque(request.pointee.data).takeRetainedValue()
                request.deallocate()
                defer { if let result { uv_freeaddrinfo(result) } }
                guard status == 0, let info = result, let address = info.pointee.ai_addr else {
                    context.completion(nil)
                    return
                }
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { destination in
                    destination.copyMemory(
                        from: UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen))
                    )
                }
                var resolved = SocketAddress(storage: storage)
                resolved.setPort(context.port)
                context.completion(resolved)
            },
            host,
            nil,
            &hints
        )
        if rc != 0 {
            Unmanaged<Context>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            completion(nil)
        }
    }

    private mutating func setPort(_ port: Int) {
        let family = Int32(storage.ss_family)
        withUnsafeMutablePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    $0.pointee.sin6_port = UInt16(port).bigEndian
                }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    $0.pointee.sin_port = UInt16(port).bigEndian
                }
            }
        }
    }
}
