import Engine
import HTTPAPI
import Store
import Synchronization

/// A stored device as this process knows it: the stored record (kept in step with every write, so reading a device
/// costs no query), its recovery history in brief, its runtime state, and a guard that lets one operation at a time
/// change it (a second stop while a stop runs gets 409, not a race).
final class ManagedDevice: Sendable {
    let id: UInt32
    private let fields: Mutex<Fields>
    private let busy = Mutex(false)

    struct Fields {
        var record: DeviceRecord
        var runtime: RuntimeState {
            didSet { hasConnections = runtime.device?.hasConnections ?? false }
        }
        var recoveries: EventSummary
        /// Whether the served device has connections to report, kept with `runtime`: the polled views ask only
        /// those devices (reaching the served device retains it, for every device on every poll).
        private(set) var hasConnections: Bool
        /// Counts the changes to the fields above (every change goes through a method of ManagedDevice).
        fileprivate(set) var version: UInt64 = 0
        /// The view last shown, and what it was built from: `GET /devices` is polled far more often than any
        /// device changes. Kept under the same lock as the fields, so a poll takes one lock per device.
        fileprivate var shown: Shown?

        init(record: DeviceRecord, runtime: RuntimeState, recoveries: EventSummary) {
            self.record = record
            self.runtime = runtime
            self.recoveries = recoveries
            hasConnections = runtime.device?.hasConnections ?? false
        }
    }

    /// A reference, so that a lookup copies neither the view nor the status.
    fileprivate final class Shown: Sendable {
        let version: UInt64
        let connection: ConnectionStatus?
        let view: DeviceView

        init(version: UInt64, connection: ConnectionStatus?, view: DeviceView) {
            self.version = version
            self.connection = connection
            self.view = view
        }
    }

    init(record: DeviceRecord, state: RuntimeState, recoveries: EventSummary = EventSummary(count: 0, last: nil)) {
        id = record.id
        fields = Mutex(Fields(record: record, runtime: state, recoveries: recoveries))
    }

    var snapshot: Fields { fields.withLock { $0 } }

    var state: RuntimeState {
        get { fields.withLock { $0.runtime } }
        set { change { $0.runtime = newValue } }
    }

    /// The state as the views show it (`DeviceManager.shownState`), read in place: /health asks it of every device
    /// on every poll, and a copy of the whole state would cost more than the answer.
    var shownState: RuntimeState.Kind {
        fields.withLock { fields in
            guard fields.hasConnections else { return fields.runtime.kind }
            return DeviceManager.shownState(fields.runtime, fields.runtime.device?.connectionStatus)
        }
    }

    var record: DeviceRecord {
        get { fields.withLock { $0.record } }
        set { change { $0.record = newValue } }
    }

    func update(_ edit: (inout DeviceRecord) -> Void) {
        change { edit(&$0.record) }
    }

    private func change(_ edit: (inout Fields) -> Void) {
        fields.withLock { fields in
            edit(&fields)
            fields.version &+= 1
        }
    }

    /// The view `build` makes of the fields and the served device's connection, built again only when either
    /// changed since the last one. The fields and their version are read under one lock, so a view is kept under
    /// the version it was built from, and never over a newer one.
    func view(_ build: (Fields, ConnectionStatus?) -> DeviceView) -> DeviceView {
        let kept = fields.withLock { fields -> DeviceView? in
            guard let last = fields.shown, last.version == fields.version else { return nil }
            // A runtime change bumps the version, so a kept view was built with the same `hasConnections`.
            if fields.hasConnections {
                guard last.connection == fields.runtime.device?.connectionStatus else { return nil }
            }
            return last.view
        }
        if let kept { return kept }
        let (current, connection) = fields.withLock { ($0, $0.runtime.device?.connectionStatus) }
        let view = build(current, connection)
        fields.withLock { fields in
            // Not over a view of a newer version that another poll kept meanwhile.
            if fields.version == current.version {
                fields.shown = Shown(version: current.version, connection: connection, view: view)
            }
        }
        return view
    }

    /// The stored copy of the recovery event `noteRecovery` counted before it was written.
    func replaceLastRecovery(_ stored: EventRecord) {
        change { fields in
            if fields.recoveries.last?.id == 0 { fields.recoveries.last = stored }
        }
    }

    func setRecoveries(_ summary: EventSummary) {
        change { $0.recoveries = summary }
    }

    /// Counts a recovery event.
    func noteRecovery(_ event: EventRecord) {
        change { fields in
            fields.recoveries.count += 1
            fields.recoveries.last = event
        }
    }

    /// Runs `operation` unless another one is running on this device.
    func exclusively<T>(_ operation: () throws(DaemonError) -> T) throws(DaemonError) -> T {
        let acquired = busy.withLock { taken in
            defer { taken = true }
            return !taken
        }
        guard acquired else { throw .conflict("device \(id) is busy with another operation; try again") }
        defer { busy.withLock { $0 = false } }
        return try operation()
    }
}
