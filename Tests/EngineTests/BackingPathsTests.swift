import Engine
import Foundation
import Glibc
import Testing
import TestSupport

/// `--allow-dir`: a backing path is checked resolved and opened below the allowed directory it resolved into, so
/// what is opened is what was checked.
@Suite("Backing paths: confined to the allowed directories, symlinks swapped in refused")
struct BackingPathsTests {
    let root = TemporaryDirectory()
    var allowed: String { root.file("allowed") }
    var outside: String { root.file("outside") }

    init() throws {
        try FileManager.default.createDirectory(atPath: root.file("allowed/sub"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.file("outside"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root.file("allowed/disk.img"), contents: Data(count: 4096)))
        #expect(FileManager.default.createFile(atPath: root.file("outside/secret.img"), contents: Data(count: 4096)))
    }

    var paths: BackingPaths {
        BackingPaths(allowedDirectories: [String(cString: realpath(allowed, nil))])
    }

    @Test func aFileInsideOpensAndOneOutsideIsRefused() throws {
        let fd = try paths.open(root.file("allowed/disk.img"), flags: O_RDONLY)
        close(fd)
        #expect(throws: EngineError.self) { _ = try paths.open(root.file("outside/secret.img"), flags: O_RDONLY) }
        #expect(throws: EngineError.self) { _ = try paths.locate(root.file("allowed/../outside/secret.img"), creating: false) }
    }

    @Test func aSymlinkThatPointsInsideIsFine() throws {
        try FileManager.default.createSymbolicLink(atPath: root.file("allowed/link.img"),
                                                   withDestinationPath: root.file("allowed/disk.img"))
        close(try paths.open(root.file("allowed/link.img"), flags: O_RDONLY))
    }

    /// The swap between the check and the open: the path checked resolves inside, then a symlink to a file outside
    /// takes its place. The open must not follow it out.
    @Test func aSymlinkSwappedInAfterTheCheckIsRefused() throws {
        let path = root.file("allowed/disk.img")
        let location = try #require(try paths.locate(path, creating: false))
        #expect(location.relative == "disk.img")
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: root.file("outside/secret.img"))
        // What the daemon does after its check: open the checked name below the allowed directory.
        #expect {
            _ = try paths.open(location, flags: O_RDONLY, path: path)
        } throws: { error in
            guard case .pathNotAllowed = error as? EngineError else { return false }
            return true
        }
        // A directory swapped for a symlink on the way is refused alike.
        try FileManager.default.removeItem(atPath: root.file("allowed/sub"))
        try FileManager.default.createSymbolicLink(atPath: root.file("allowed/sub"), withDestinationPath: outside)
        let inSub = BackingPaths.Location(directory: location.directory, relative: "sub/secret.img")
        #expect {
            _ = try paths.open(inSub, flags: O_RDONLY, path: root.file("allowed/sub/secret.img"))
        } throws: { error in
            guard case .pathNotAllowed = error as? EngineError else { return false }
            return true
        }
    }

    @Test func aFileToBeMadeIsCheckedByItsDirectory() throws {
        let made = root.file("allowed/new.img")
        try FileTarget.createSparse(path: made, size: 1 << 20, paths: paths)
        #expect(FileManager.default.fileExists(atPath: made))
        try paths.remove(made)
        #expect(!FileManager.default.fileExists(atPath: made))
        #expect(throws: EngineError.self) {
            try FileTarget.createSparse(path: root.file("outside/new.img"), size: 1 << 20, paths: paths)
        }
        #expect(!FileManager.default.fileExists(atPath: root.file("outside/new.img")))
    }
}
