@testable import Daemon
import Engine
import Foundation
import Logging
import TestSupport
import Testing

@Suite("The views do not reopen a missing ublk driver on every poll (KernelAccess)")
struct DriverRetryTests {
    @Test func viewsKeepTheLastFailureWhileOperationsTryAgain() throws {
        let directory = TemporaryDirectory()
        let node = directory.file("ublk-control")
        let access = KernelAccess(controlPath: node, paths: BackingPaths(allowedDirectories: []),
                                  logger: Logger(label: "ublkd.test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                  viewRetryInterval: .seconds(3600))
        func failure(_ body: () throws(EngineError) -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch {
                return error.description
            }
        }
        let missing = failure { () throws(EngineError) in _ = try access.features() }
        #expect(missing.contains("does not exist"), "\(missing)")
        // Something is at the path now (not a ublk control node: whatever it answers, it is not "does not exist").
        #expect(FileManager.default.createFile(atPath: node, contents: Data()))
        #expect(failure { () throws(EngineError) in _ = try access.features() } == missing, "a poll within the interval reopened the driver")
        let operation = failure { () throws(EngineError) in _ = try access.engine() }
        #expect(operation != missing, "a device operation did not try the driver again")
    }
}
