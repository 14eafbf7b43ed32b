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
        var runtime: RuntimeState
        var recoveries: EventSummary
    }

    init(record: DeviceRecord, state: RuntimeState, recoveries: EventSummary = EventSummary(count: 0, last: nil)) {
        id = record.id
        fields = Mutex(Fields(record: record, runtime: state, recoveries: recoveries))
    }

    var snapshot: Fields { fields.withLock { $0 } }

    var state: RuntimeState {
        get { fields.withLock { $0.runtime } }
        set { fields.withLock { $0.runtime = newValue } }
    }

    var record: DeviceRecord {
        get { fields.withLock { $0.record } }
        set { fields.withLock { $0.record = newValue } }
    }

    func update(_ change: (inout DeviceRecord) -> Void) {
        fields.withLock { change(&$0.record) }
    }

    /// The stored copy of the recovery event `noteRecovery` counted before it was written.
    func replaceLastRecovery(_ stored: EventRecord) {
        fields.withLock { fields in
            if fields.recoveries.last?.id == 0 { fields.recoveries.last = stored }
        }
    }

    func setRecoveries(_ summary: EventSummary) {
        fields.withLock { $0.recoveries = summary }
    }

    /// Counts a recovery event.
    func noteRecovery(_ event: EventRecord) {
        fields.withLock { fields in
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
