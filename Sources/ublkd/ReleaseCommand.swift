import ArgumentParser
import Daemon
import Foundation
import Logging

/// `ublkd release`: what the package's removal runs after stopping the service (see `DeviceRelease`).
struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Remove the kernel devices a stopped daemon left to the driver; keep their definitions.",
        discussion: """
            A stopped ublkd leaves its devices to the driver, quiesced, for the next ublkd to take back. When no \
            ublkd will come (the package is being removed), this removes those kernel devices; every definition \
            stays in the state directory, so the next start builds the devices again under the same ids. Refuses a \
            device another live process serves: stop the daemon first. Exits 1 if any device could not be released.
            """)

    @Option(name: .customLong("state-dir"), help: "Holds ublkd.sqlite (env UBLKD_STATE_DIR; default /var/lib/ublkd).")
    var stateDir: String?

    func run() throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let stateDirectory = stateDir ?? ProcessInfo.processInfo.environment["UBLKD_STATE_DIR"] ?? "/var/lib/ublkd"
        let outcome: DeviceRelease.Outcome
        do {
            outcome = try DeviceRelease.run(stateDirectory: stateDirectory, logger: Logger(label: "ublkd"))
        } catch {
            print("ublkd release: \(error)")
            throw ExitCode(1)
        }
        for device in outcome.released {
            print("ublkd release: \(device): kernel device removed; its definition stays in \(stateDirectory)")
        }
        for failure in outcome.failed { print("ublkd release: \(failure)") }
        if outcome.released.isEmpty && outcome.failed.isEmpty {
            print("ublkd release: no kernel device to release")
        }
        if !outcome.failed.isEmpty { throw ExitCode(1) }
    }
}
