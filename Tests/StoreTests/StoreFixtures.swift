import DeviceModel
import Foundation
import Logging
@testable import Store
import TestSupport
@testable import StoreSchema

/// Builders shared by the store tests: valid rows that each test bends to its case.
enum StoreFixtures {
    static let logger = Logger(label: "ublkd.store.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A fixed instant with milliseconds, so round trips compare exactly.
    static let epoch = Date(timeIntervalSince1970: 1_795_654_923.456)

    static func open(_ path: String) throws -> Store {
        try Store(path: path, logger: logger)
    }

    static func open(_ directory: TemporaryDirectory) throws -> Store {
        try open(directory.file("ublkd.db"))
    }

    static func openWith(_ path: String, migrations: [EmbeddedMigrations.Migration]) throws -> Store {
        try Store(path: path, logger: logger, migrations: migrations)
    }

    static func device(_ id: UInt32, name: String? = nil, state: DesiredState = .running) -> DeviceRecord {
        DeviceRecord(
            id: id,
            definition: DeviceDefinition(
                name: name ?? "disk\(id)", target: .file(path: "/var/lib/ublkd/disk\(id).img"), sizeBytes: 1 << 30,
                queues: 2, queueDepth: 128, blockSize: 4096, maxIOBytes: 1 << 20, readOnly: false, recovery: .reissue,
                ioMode: .auto),
            desiredState: state, lastError: nil, createdAt: epoch, updatedAt: epoch)
    }

    static func event(_ deviceID: UInt32, kind: String = "started", outcome: String = "ok") -> EventRecord {
        EventRecord(
            deviceID: deviceID, deviceName: "disk\(deviceID)", kind: kind, startedAt: epoch,
            finishedAt: epoch.addingTimeInterval(0.25), durationMs: 250, outcome: outcome)
    }
}
