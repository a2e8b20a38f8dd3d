import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context and the connection the request came on, which
/// `GET /v1/events` watches (a client that goes away ends its stream at once) and closes (a reader that stalls).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
