import Foundation

/// The entry point of a fuzz target built without libFuzzer: runs the target once on each file named on the
/// command line (each file of a directory), as libFuzzer runs a corpus, so a crash input replays in the normal build.
public enum FuzzReplay {
    /// Runs `target` on each input; exits 2 on a missing path.
    public static func main(_ target: (UnsafePointer<UInt8>, Int) -> CInt) {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments[0]) FILE|DIRECTORY...\n".utf8))
            exit(2)
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("error: cannot read \(file)\n".utf8))
                    exit(2)
                }
                let bytes = [UInt8](data) + [0]
                _ = bytes.withUnsafeBufferPointer { target($0.baseAddress!, data.count) }
                count += 1
            }
        }
        FileHandle.standardOutput.write(Data("ran \(count) inputs\n".utf8))
    }

    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            FileHandle.standardError.write(Data("error: no such file or directory: \(path)\n".utf8))
            exit(2)
        }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { "\(path)/\($0)" }
    }
}
