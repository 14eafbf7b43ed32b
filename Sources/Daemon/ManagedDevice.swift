import Engine
import HTTPAPI
import Synchronization

/// A stored device's life in this process: its runtime state, and a guard that lets one operation at a time
/// change it (a second stop while a stop runs gets 409, not a race).
final class ManagedDevice: Sendable {
    let id: UInt32
    private let runtime: Mutex<RuntimeState>
    private let busy = Mutex(false)

    init(id: UInt32, state: RuntimeState) {
        self.id = id
        runtime = Mutex(state)
    }

    var state: RuntimeState {
        get { runtime.withLock { $0 } }
        set { runtime.withLock { $0 = newValue } }
    }

    /// Runs `operation` unless another one is running on this device.
    func exclusively<T>(_ what: String, _ operation: () throws(APIError) -> T) throws(APIError) -> T {
        let acquired = busy.withLock { taken in
            defer { taken = true }
            return !taken
        }
        guard acquired else { throw .conflict("device \(id) is busy with another operation; try again") }
        defer { busy.withLock { $0 = false } }
        return try operation()
    }
}
