import CairnCore
import CairnNode
import Foundation

/// A failure the CLI reports as one line on stderr with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    /// A data-directory failure, naming where the directory came from (`--data`, `$CAIRN_HOME` or the default).
    init(_ error: DataDirectoryError, in directory: DataDirectory, from data: DataOption) {
        switch error {
        case .io(let path, let reason) where path == directory.path:
            self.init("cannot create the data directory \(path) (\(data.source)): \(reason)")
        default:
            self.init("\(error) (data directory from \(data.source))")
        }
    }
}

extension DataOption {
    /// Where the data directory came from, for error messages.
    var source: String {
        if let path, !path.isEmpty { return "--data" }
        if let home = ProcessInfo.processInfo.environment["CAIRN_HOME"], !home.isEmpty { return "$CAIRN_HOME" }
        return "the default, ~/.cairn"
    }
}

extension ChannelName {
    /// Parses a channel name given with `flag`; the error says what a name is.
    /// - Throws: `CLIError` for an empty or too long name or one with a control character.
    static func parse(_ text: String, flag: String = "--channel") throws(CLIError) -> ChannelName {
        do {
            return try ChannelName(text)
        } catch {
            throw CLIError(
                "\(flag) \(NodeConfiguration.quoted(text)): a channel name is 1 to \(maxBytes) bytes of UTF-8 without "
                    + "control characters"
            )
        }
    }
}
