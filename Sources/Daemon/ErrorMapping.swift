import Engine
import HTTPAPI
import Logging
import Store
import SystemPackage

/// The one place where engine and store errors become API errors (status + stable code).
extension APIError {
    static func from(_ error: EngineError) -> APIError {
        switch error {
        case .kernelUnavailable(let reason):
            return APIError(.kernelUnavailable, reason + " (device operations need the ublk_drv kernel module)")
        case .invalidConfiguration(let message):
            return .validation(message)
        case .backingStore(let path, let reason):
            return APIError(.backingStoreError, "backing store \(path): \(reason)")
        case .featureUnavailable:
            return APIError(.featureUnavailable, error.description)
        case .controlCommand(.addDevice, let id, .fileExists):
            return .conflict("device id \(id.map(String.init) ?? "?") is already taken in the kernel")
        case .controlCommand(.addDevice, _, .permissionDenied):
            return .conflict("the kernel's ublk device limit is reached (module parameter ublks_max)")
        case .controlCommand, .system, .queueSetup:
            return APIError(.internal, error.description)
        }
    }

    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .nameTaken(let name): return .conflict("a device named \"\(name)\" exists")
        case .idTaken(let id): return .conflict("device id \(id) is taken")
        case .notFound(let id): return .notFound("no device with id \(id)")
        case .noFreeDeviceID: return .conflict("no free device id is left")
        default: return APIError(.internal, "internal error in the state store; see the daemon log")
        }
    }

    /// Anything else: logged in full, answered without details.
    static func unexpected(_ error: any Error, logger: Logger) -> APIError {
        if let error = error as? APIError { return error }
        if let error = error as? EngineError { return .from(error) }
        if let error = error as? StoreError {
            logger.error("store error: \(error)")
            return .from(error)
        }
        logger.error("unexpected error: \(error)")
        return APIError(.internal, "internal error; see the daemon log")
    }
}
