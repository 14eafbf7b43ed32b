import Engine
import Foundation
import Glibc
import Logging
import Store

/// Letting go of the kernel devices for good, while keeping their definitions: what removing the package needs.
///
/// A stop hands every device over to the driver, which keeps it (quiesced, its I/O waiting) for the next ublkd. That
/// is right for a restart or an upgrade, and wrong once ublkd itself goes away: nothing would ever serve those
/// disks again. After the stop, the package's removal runs `ublkd release`, which removes each kernel device that
/// no live process serves and leaves every stored definition as it was, desired state included. A later install
/// starts ublkd, finds the definitions but no kernel devices, and builds them again under the same ids.
public enum DeviceRelease {
    public struct Outcome: Sendable {
        /// Devices whose kernel device was removed, as "device 3 (db)".
        public var released: [String] = []
        /// Devices the kernel did not hold: nothing to do.
        public var absent = 0
        /// What could not be released, with the reason, e.g. "device 3 (db): ... served by another live process".
        public var failed: [String] = []
    }

    /// Releases the kernel devices of the definitions stored in `stateDirectory`. A state directory without a store
    /// (ublkd never ran) releases nothing and creates nothing.
    public static func run(stateDirectory: String, controlPath: String = "/dev/ublk-control",
                           logger: Logger) throws -> Outcome {
        let path = Configuration.databasePath(in: stateDirectory)
        guard access(path, F_OK) == 0 else { return Outcome() }
        let store = try Store(path: path, logger: logger)
        let kernel = KernelAccess(controlPath: controlPath, paths: BackingPaths(allowedDirectories: []), logger: logger)
        return DeviceManager(store: store, backend: kernel, logger: logger).releaseKernelDevices()
    }
}

extension DeviceManager {
    /// Removes the kernel device of every stored definition that no live process serves; the store keeps every
    /// definition as it is. Runs while no daemon does (the lifecycle refuses a device another live process serves).
    func releaseKernelDevices() -> DeviceRelease.Outcome {
        var outcome = DeviceRelease.Outcome()
        let records: [DeviceRecord]
        do {
            records = try store.read { try $0.devices() }
        } catch {
            outcome.failed.append("the stored devices cannot be read: \(error)")
            return outcome
        }
        var events: [EventRecord] = []
        for record in records {
            let label = "device \(record.id) (\(record.name))"
            let started = Date()
            do {
                guard try backend.observe(record.id) != .absent else {
                    outcome.absent += 1
                    continue
                }
            } catch {
                outcome.failed.append("\(label): \(error)")
                continue
            }
            // The lifecycle, asked for a stopped device, removes the kernel device and nothing else (a device
            // another live process serves is refused). The copy with desired state `stopped` is never stored:
            // the stored record keeps `running`, so the next start builds the device again.
            var releasing = record
            releasing.desiredState = .stopped
            do {
                _ = try converge(ManagedDevice(record: releasing, state: .stopped))
                outcome.released.append(label)
                events.append(Self.event(record, .released, since: started,
                                         detail: "kernel device removed; the definition stays for the next start"))
            } catch {
                outcome.failed.append("\(label): \(error)")
            }
        }
        if !events.isEmpty {
            do {
                try write { transaction in
                    for event in events { _ = try transaction.appendEvent(event) }
                }
            } catch {
                // The devices are released all the same; only their history lacks the rows.
                logger.warning("cannot store the release events: \(error)")
            }
        }
        return outcome
    }
}
