/// Splits a Server-Sent Events stream into events, as the WHATWG event-stream format says: lines end with LF, CRLF
/// or CR; `id`, `event` and `data` fields (one optional space after the colon); comments start with `:`; a blank line
/// ends an event, which is dispatched only if it had data.
struct ServerSentEventParser {
    /// One dispatched event.
    struct Event: Equatable {
        /// The last `id` field seen on the stream so far (it carries over to later events, as in the format).
        var id: String?
        /// The `event` field; `message` when absent.
        var type: String
        /// The `data` lines joined with LF.
        var data: String
    }

    /// Why the stream cannot be parsed.
    enum Failure: Error, Equatable {
        /// A line longer than `maxLineBytes`.
        case lineTooLong(limit: Int)
    }

    /// The longest line accepted, in bytes: event data is one line of JSON, far below this.
    static let maxLineBytes = 1 << 20

    private var line: [UInt8] = []
    private var lastID: String?
    private var type: String?
    private var dataLines: [String] = []
    private var hasData = false
    /// A CR ended the previous line; an LF right after it belongs to the same line ending.
    private var afterCarriageReturn = false

    /// Feeds bytes and returns every event they complete, in order.
    /// - Throws: `Failure.lineTooLong` when a line grows beyond `maxLineBytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n") where afterCarriageReturn:
                afterCarriageReturn = false
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                afterCarriageReturn = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                afterCarriageReturn = false
                guard line.count < Self.maxLineBytes else { throw .lineTooLong(limit: Self.maxLineBytes) }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        guard line.first != UInt8(ascii: ":") else { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "id" where !value.contains("\0"): lastID = String(value)
        case "event": type = String(value)
        case "data":
            dataLines.append(String(value))
            hasData = true
        default: break
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer {
            type = nil
            dataLines = []
            hasData = false
        }
        guard hasData else { return nil }
        return Event(id: lastID, type: type ?? "message", data: dataLines.joined(separator: "\n"))
    }
}
