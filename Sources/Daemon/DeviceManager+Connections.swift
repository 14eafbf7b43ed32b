import Engine
import Foundation
import Store
import Synchronization

extension DeviceManager {
    /// Until `stopping` is set: twice a second, each served device's connections against the last look. A
    /// connection lost, made again, or down past the reconnect timeout becomes an event row and a log line. The
    /// queue threads only count (atomics); the store is written here, off the I/O path.
    func watchConnections(until stopping: borrowing Atomic<Bool>, every interval: Duration = .milliseconds(500)) {
        var seen: [UInt32: ConnectionStatus] = [:]
        while !stopping.load(ordering: .relaxed) {
            let served = devices.withLock { $0.ordered }
            var present = Set<UInt32>()
            for managed in served {
                guard let device = managed.state.device, let now = device.connectionStatus else { continue }
                present.insert(managed.id)
                let before = seen[managed.id] ?? ConnectionStatus(state: .connected, disconnects: 0, reconnects: 0)
                seen[managed.id] = now
                for (kind, message, failed) in Self.connectionChanges(from: before, to: now) {
                    let log = deviceLogger(managed.id)
                    failed ? log.warning("\(message)") : log.notice("\(message)")
                    let record = managed.record
                    let event = Self.event(record, kind, since: Date(), error: failed ? message : nil,
                                           detail: failed ? nil : message)
                    _ = try? write { transaction in try transaction.appendEvent(event) }
                }
            }
            for id in seen.keys where !present.contains(id) { seen[id] = nil }
            let (seconds, attoseconds) = interval.components
            usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        }
    }

    /// What changed between two looks at a device's connections, as events: kind, words, and whether it is a
    /// failure.
    static func connectionChanges(from before: ConnectionStatus, to now: ConnectionStatus)
        -> [(EventKind, String, Bool)]
    {
        var changes: [(EventKind, String, Bool)] = []
        if now.disconnects > before.disconnects {
            let lost = now.disconnects - before.disconnects
            changes.append((.disconnected, "NBD connection lost (\(lost) now, \(now.disconnects) since start); "
                            + "I/O waits while ublkd reconnects", false))
        }
        if now.state == .failing && before.state != .failing {
            changes.append((.connectionFailed, "NBD server unreachable past the reconnect timeout: I/O fails with "
                            + "EIO until it is back", true))
        }
        if now.reconnects > before.reconnects {
            changes.append((.reconnected, "NBD connection made again (\(now.reconnects) since start); waiting "
                            + "requests sent again", false))
        }
        return changes
    }
}
