import Engine
import Store

/// Everything the daemon's device operations fail with. Domain code throws these; `DeviceManager+Service` turns
/// them into API errors, once.
enum DaemonError: Error, Equatable, CustomStringConvertible {
    case notFound(UInt32)
    /// The request cannot be met in the device's present state (busy, wrong state, a name or file that exists).
    case conflict(String)
    /// The request itself is wrong.
    case invalid(String)
    /// The backing store the request names is missing or unsuitable.
    case backingStore(String)
    case kernel(EngineError)
    case store(StoreError)
    /// The lifecycle cannot bring the device where it should be (another server holds it, the driver keeps it in
    /// a state that cannot be taken over).
    case refused(String)

    var description: String {
        switch self {
        case .notFound(let id): "no device with id \(id)"
        case .conflict(let message), .invalid(let message), .backingStore(let message), .refused(let message):
            message
        case .kernel(let error): error.description
        case .store(let error): error.description
        }
    }
}
