import Foundation

/// Writes straight to the stdout descriptor, unbuffered: `stats --watch | tee` then shows each sample as it comes,
/// and `--json` bytes go out exactly as they arrived.
struct Output: Sendable {
    func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// The server's bytes as they came; its JSON already ends with a newline, but do not rely on that.
    func raw(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        if bytes.last != UInt8(ascii: "\n") { line() }
    }

    func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
