import CLibUV
import Foundation

/// One TCP connection or listener on the loop: a `uv_tcp_t` with Swift callbacks. Loop thread only.
///
/// The handle keeps this object alive (a retained `Unmanaged` in `handle.data`) until libuv has closed it.
final class TCPStream {
    /// Bytes handed to libuv whose write has not completed yet.
    private(set) var pendingWriteBytes = 0
    private(set) var isClosed = false
    /// Called with each chunk read, in order.
    var onRead: (UnsafeRawBufferPointer) -> Void = { _ in }
    /// Called once when the stream ends: `nil` for a clean end of stream, else the libuv error.
    var onEnd: (Int32?) -> Void = { _ in }
    /// Called after writes complete, so the owner can queue more.
    var onWritable: (_ writtenBytes: Int) -> Void = { _ in }
    /// Called for each accepted connection on a listener.
    var onAccept: (TCPStream) -> Void = { _ in }
    /// Called when a listener could not accept a connection (out of descriptors, the peer gave up).
    var onAcceptFailed: (EventLoopError) -> Void = { _ in }

    let handle: UnsafeMutablePointer<uv_tcp_t>
    private let loop: UnsafeMutablePointer<uv_loop_t>
    private var readBuffer: UnsafeMutableRawBufferPointer?
    private static let readBufferBytes = 64 * 1024

    /// A fresh TCP handle on `loop`.
    init(loop: UnsafeMutablePointer<uv_loop_t>) throws(EventLoopError) {
        self.loop = loop
        handle = .allocate(capacity: 1)
        let rc = uv_tcp_init(loop, handle)
        guard rc == 0 else {
            handle.deallocate()
            throw EventLoop.error("uv_tcp_init", rc)
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let nodelay = uv_tcp_nodelay(handle, 1)
        guard nodelay == 0 else {
            // The handle is initialised: it must go through uv_close, which also releases this object.
            close()
            throw EventLoop.error("uv_tcp_nodelay", nodelay)
        }
    }

    private var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
    }
    private var anyHandle: UnsafeMutablePointer<uv_handle_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)
    }

    private static func from(_ pointer: UnsafeMutableRawPointer?) -> TCPStream? {
        guard let data = pointer?.assumingMemoryBound(to: uv_handle_t.self).pointee.data else { return nil }
        return Unmanaged<TCPStream>.fromOpaque(data).takeUnretainedValue()
    }

    /// The stream that owns a `UV_TCP` handle (every TCP handle on a Cairn loop is a `TCPStream`'s).
    static func owner(of handle: UnsafeMutablePointer<uv_handle_t>) -> TCPStream? {
        from(UnsafeMutableRawPointer(handle))
    }

    // MARK: Listening

    /// Binds and listens; returns the bound port (useful with port 0).
    func listen(address: SocketAddress, backlog: Int32 = 128) throws(EventLoopError) -> Int {
        var rc = address.withSockaddr { uv_tcp_bind(handle, $0, 0) }
        guard rc == 0 else { throw Self.cannotListen(address, rc) }
        rc = uv_listen(stream, backlog) { server, status in
            guard let listener = TCPStream.from(server.map(UnsafeMutableRawPointer.init)) else { return }
            guard status == 0 else { return listener.onAcceptFailed(EventLoop.error("listen callback", status)) }
            listener.acceptOne()
        }
        guard rc == 0 else { throw Self.cannotListen(address, rc) }
        guard let port = localPort else { throw EventLoop.error("uv_tcp_getsockname \(address)", UV_EINVAL.rawValue) }
        return port
    }

    private static func cannotListen(_ address: SocketAddress, _ code: Int32) -> EventLoopError {
        .cannotListen(address: address.description, code: code, message: String(cString: uv_strerror(code)))
    }

    private func acceptOne() {
        let client: TCPStream
        do {
            client = try TCPStream(loop: loop)
        } catch {
            return onAcceptFailed(error)
        }
        let rc = uv_accept(stream, client.stream)
        guard rc == 0 else {
            client.close()
            return onAcceptFailed(EventLoop.error("uv_accept", rc))
        }
        onAccept(client)
    }

    // MARK: Connecting

    /// Connects to `address`; `completion` gets `nil` on success or the libuv error.
    func connect(to address: SocketAddress, completion: @escaping (Int32?) -> Void) {
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        let context = ConnectContext(stream: self, completion: completion)
        request.pointee.data = Unmanaged.passRetained(context).toOpaque()
        let rc = address.withSockaddr { sockaddr in
            uv_tcp_connect(request, handle, sockaddr) { request, status in
                guard let request else { return }
                let context = Unmanaged<ConnectContext>.fromOpaque(request.pointee.data).takeRetainedValue()
                request.deallocate()
                context.completion(status == 0 ? nil : status)
            }
        }
        if rc != 0 {
            Unmanaged<ConnectContext>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            completion(rc)
        }
    }

    private final class ConnectContext {
        let stream: TCPStream
        let completion: (Int32?) -> Void
        init(stream: TCPStream, completion: @escaping (Int32?) -> Void) {
            self.stream = stream
            self.completion = completion
        }
    }

    // MARK: Reading and writing

    /// Starts delivering reads to `onRead`.
    func startReading() {
        guard !isClosed else { return }
        let rc = uv_read_start(
            stream,
            { handle, _, buffer in
                guard let stream = TCPStream.from(handle.map(UnsafeMutableRawPointer.init)), let buffer else { return }
                let storage =
                    stream.readBuffer
                    ?? UnsafeMutableRawBufferPointer.allocate(
                        byteCount: TCPStream.readBufferBytes,
                        alignment: 16
                    )
                stream.readBuffer = storage
                buffer.pointee = uv_buf_init(
                    storage.baseAddress!.assumingMemoryBound(to: CChar.self),
                    UInt32(storage.count)
                )
            },
            { handle, count, buffer in
                guard let stream = TCPStream.from(handle.map(UnsafeMutableRawPointer.init)) else { return }
                if count > 0, let base = buffer?.pointee.base {
                    stream.onRead(UnsafeRawBufferPointer(start: base, count: count))
                } else if count < 0 {
                    stream.finish(Int32(count) == UV_EOF.rawValue ? nil : Int32(count))
                }
            }
        )
        if rc != 0 { finish(rc) }
    }

    /// Queues `bytes` for writing; `pendingWriteBytes` counts them until libuv reports the write done.
    func write(_ bytes: [UInt8]) {
        guard !isClosed, !bytes.isEmpty else { return }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        storage.copyBytes(from: bytes)
        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)
        request.pointee.data = storage.baseAddress
        var buffer = uv_buf_init(storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        pendingWriteBytes += bytes.count
        let rc = uv_write(request, stream, &buffer, 1) { request, status in
            guard let request else { return }
            let owner = TCPStream.from(request.pointee.handle.map(UnsafeMutableRawPointer.init))
            request.pointee.data?.deallocate()
            request.deallocate()
            owner?.writeCompleted(status: status)
        }
        if rc != 0 {
            storage.deallocate()
            request.deallocate()
            pendingWriteBytes -= bytes.count
            finish(rc)
        } else {
            writeSizes.append(bytes.count)
        }
    }

    /// Sizes of writes in flight, in order (libuv completes writes on one stream in order).
    private var writeSizes: [Int] = []
    private var writeSizesHead = 0

    private func writeCompleted(status: Int32) {
        var written = 0
        if writeSizesHead < writeSizes.count {
            written = writeSizes[writeSizesHead]
            pendingWriteBytes -= written
            writeSizesHead += 1
            if writeSizesHead > 64, writeSizesHead * 2 > writeSizes.count {
                writeSizes.removeFirst(writeSizesHead)
                writeSizesHead = 0
            }
        }
        if status != 0 && status != UV_ECANCELED.rawValue {
            finish(status)
            return
        }
        if !isClosed { onWritable(written) }
    }

    /// Writes what the kernel takes at once of `bytes` (best effort, never queued), then closes. For a goodbye:
    /// a peer that stopped reading must not keep the connection open by leaving it unflushed.
    /// - Returns: the bytes the kernel took, or why none were (`UV_EAGAIN` for a full socket buffer).
    @discardableResult
    func writeNowThenClose(_ bytes: [UInt8]) -> Result<Int, EventLoopError> {
        guard !isClosed else { return .success(0) }
        let rc = bytes.withUnsafeBytes { raw in
            var buffer = uv_buf_init(
                UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: CChar.self)),
                UInt32(raw.count)
            )
            return uv_try_write(stream, &buffer, 1)
        }
        close()
        return rc >= 0 ? .success(Int(rc)) : .failure(EventLoop.error("uv_try_write", rc))
    }

    /// Closes the handle; `onEnd` is not called for a close we asked for. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        onRead = { _ in }
        onWritable = { _ in }
        onAccept = { _ in }
        onAcceptFailed = { _ in }
        guard uv_is_closing(anyHandle) == 0 else { return }
        uv_close(anyHandle) { handle in
            guard let handle, let data = handle.pointee.data else { return }
            let stream = Unmanaged<TCPStream>.fromOpaque(data).takeRetainedValue()
            stream.readBuffer?.deallocate()
            stream.readBuffer = nil
            handle.deallocate()
        }
    }

    private func finish(_ error: Int32?) {
        guard !isClosed else { return }
        let onEnd = self.onEnd
        close()
        onEnd(error)
    }

    // MARK: Addresses

    /// The local port, once bound or connected.
    var localPort: Int? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return SocketAddress(storage: storage).port
    }

    /// The remote address of a connected stream.
    var remoteAddress: SocketAddress? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getpeername(handle, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return SocketAddress(storage: storage)
    }
}
