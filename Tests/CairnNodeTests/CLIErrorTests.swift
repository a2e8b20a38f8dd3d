import CairnNode
import Foundation
import Testing

/// Bad input on the command line or in a configuration file gets one `Error:` line naming the flag or key, the value
/// and what would be accepted; never a Swift type dump.
@Suite struct CLIErrorTests {
    /// Text that means an error reached the user as a Swift value instead of a sentence.
    static let swiftDumps = [
        "NSCocoaErrorDomain", "NSURLErrorDomain", "bind(descriptor", "libuv(operation", "invalidChannelName(",
        "DecodingError", "SocketAddressError", "errno:",
    ]

    /// The one `Error:` line of a failed run; checks that it names every fragment and that nothing reads as Swift.
    @discardableResult
    static func expectClearError(
        _ result: (status: Int32, stdout: Data, stderr: String),
        naming fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> String {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error: ") }
        #expect(errors.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        let line = String(errors.first ?? "")
        for fragment in fragments {
            #expect(line.contains(fragment), "\(line) does not name \(fragment)", sourceLocation: sourceLocation)
        }
        for dump in swiftDumps {
            #expect(
                !result.stderr.contains(dump),
                "stderr reads as Swift: \(result.stderr)",
                sourceLocation: sourceLocation
            )
        }
        return line
    }

    @Test(arguments: ["", "a\nb", "tab\there", String(repeating: "n", count: 65)])
    func initRefusesABadNetworkName(_ name: String) async throws {
        try await withTemporaryDirectory { root in
            let data = root + "/data"
            let result = try NodeProcess.run(["init", "--data", data, "--network", name])
            Self.expectClearError(result, naming: ["--network", "1 to 64 bytes"])
            #expect(!FileManager.default.fileExists(atPath: data + "/cairn.toml"))
            #expect(!FileManager.default.fileExists(atPath: data + "/node.key"))
        }
    }

    @Test(arguments: ["a\"b", "back\\slash", "quote's \"and\" \\ ünïcode", "x = 1 # not a comment"])
    func initWritesANetworkNameTheNodeReadsBack(_ name: String) async throws {
        try await withTemporaryDirectory { data in
            let result = try NodeProcess.run(["init", "--data", data, "--network", name])
            #expect(result.status == 0, "\(result.stderr)")
            let configuration = try NodeConfiguration(contentsOfFile: data + "/cairn.toml")
            #expect(configuration.network == name)
        }
    }

    @Test func initUnderARegularFileSaysSo() async throws {
        try await withTemporaryDirectory { root in
            FileManager.default.createFile(atPath: root + "/file", contents: Data())
            let result = try NodeProcess.run(["init", "--data", root + "/file/sub"])
            Self.expectClearError(result, naming: ["--data", root + "/file/sub", "not a directory"])
        }
    }

    @Test func configurationThatIsADirectorySaysSo() async throws {
        try await withTemporaryDirectory { root in
            let result = try NodeProcess.run(["node", "--data", root, "--config", root])
            Self.expectClearError(result, naming: ["--config", root, "is a directory"])
        }
    }

    /// Each case: a configuration file, more flags, and what its error line must name.
    static let badConfigurations: [(toml: String, flags: [String], naming: [String])] = [
        ("[node]\nnetwork = 5\n", [], ["node.network", "must be a string"]),
        ("[node]\npeers = \"x\"\n", [], ["node.peers", "must be an array of strings"]),
        ("[node]\npeers = [1]\n", [], ["node.peers[0]", "must be a string"]),
        ("[storage]\ndurable = \"yes\"\n", [], ["storage.durable", "must be true or false"]),
        ("[node]\nnetwork = \"\"\n", [], ["node.network", "\"\"", "1 to 64 bytes"]),
        ("[node]\nlisten = \"256.1.1.1:80\"\n", [], ["node.listen", "256.1.1.1:80", "numeric IP address"]),
        (
            "[api]\nlisten = \"nosuchhost.invalid:7701\"\n", ["--listen", "127.0.0.1:0"],
            ["api.listen", "nosuchhost.invalid:7701", "does not resolve"]
        ),
    ]

    @Test(arguments: badConfigurations)
    func badConfigurationNamesTheKey(_ configuration: (toml: String, flags: [String], naming: [String])) async throws {
        try await withTemporaryDirectory { root in
            try configuration.toml.write(toFile: root + "/c.toml", atomically: false, encoding: .utf8)
            let result = try NodeProcess.run(
                ["node", "--data", root, "--config", root + "/c.toml"] + configuration.flags
            )
            Self.expectClearError(result, naming: configuration.naming)
        }
    }

    @Test(arguments: [("--listen", "256.1.1.1:80"), ("--listen", "nosuchhost.invalid:7700")])
    func listenAddressMustBeNumeric(_ flag: String, _ value: String) async throws {
        try await withTemporaryDirectory { data in
            let result = try NodeProcess.run(["node", "--data", data, "--api", "127.0.0.1:0", flag, value])
            Self.expectClearError(result, naming: [flag, value, "numeric IP address"])
        }
    }

    /// The API's and the peer listener's port taken by another socket.
    @Test(arguments: [("--api", "--listen"), ("--listen", "--api")])
    func portInUseNamesTheFlagAndAddress(_ flag: String, _ other: String) async throws {
        let taken = try ListeningSocket()
        try await withTemporaryDirectory { data in
            let address = "127.0.0.1:\(taken.port)"
            let result = try NodeProcess.run(["node", "--data", data, other, "127.0.0.1:0", flag, address])
            Self.expectClearError(result, naming: [flag, address, "address already in use"])
        }
    }

    @Test func emptyChannelNameSaysWhatANameIs() throws {
        let result = try NodeProcess.run(["put", "--api", "http://127.0.0.1:1", "--token", "x", "--channel", ""])
        Self.expectClearError(result, naming: ["--channel", "\"\"", "1 to"])
    }

    @Test func apiURLWithAnImpossiblePortNamesTheFlag() throws {
        let result = try NodeProcess.run(["status", "--api", "http://127.0.0.1:99999"])
        Self.expectClearError(result, naming: ["--api", "http://127.0.0.1:99999", "port"])
    }
}

/// A TCP socket listening on a free loopback port until the value is dropped, so that a node cannot bind it.
final class ListeningSocket: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound, listen(fd, 1) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(descriptor)
    }
}
