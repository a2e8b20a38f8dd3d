/// A value that may only be touched on its event loop, carried across threads to get back there.
///
/// Model: NIO's `NIOLoopBound`. Reading `value` off the loop traps, so passing it around is safe.
public struct LoopBound<Value>: @unchecked Sendable {
    // @unchecked: every access to `storage` goes through `value`, which checks `loop.inLoop`.
    private let storage: Value
    /// The loop the value belongs to.
    public let loop: EventLoop

    /// Wraps `value`; must be called on `loop`.
    public init(_ value: Value, loop: EventLoop) {
        precondition(loop.inLoop, "LoopBound created off its loop")
        self.storage = value
        self.loop = loop
    }

    /// The value; traps when called off the loop.
    public var value: Value {
        precondition(loop.inLoop, "LoopBound value touched off its loop")
        return storage
    }

    /// Runs `body` with the value on the loop, from any thread.
    public func execute(_ body: @escaping @Sendable (Value) -> Void) {
        let this = self
        loop.execute { body(this.value) }
    }
}
