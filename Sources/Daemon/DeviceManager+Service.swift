import Engine
import HTTPAPI
import Store

/// The API's view of the manager: every call answered, every daemon error turned into an API error here and only
/// here. A 500 is logged with its detail and answers with a stable code and no internals.
extension DeviceManager: DeviceService {
    public func createDevice(_ request: CreateDeviceRequest) throws(APIError) -> DeviceView {
        try answer { () throws(DaemonError) in try create(request) }
    }

    public func listDevices() throws(APIError) -> [DeviceView] {
        try answer { () throws(DaemonError) in try list() }
    }

    public func device(id: UInt32) throws(APIError) -> DeviceView {
        try answer { () throws(DaemonError) in try deviceView(id: id) }
    }

    public func stopDevice(id: UInt32) throws(APIError) -> DeviceView {
        try answer { () throws(DaemonError) in try stop(id: id) }
    }

    public func startDevice(id: UInt32) throws(APIError) -> DeviceView {
        try answer { () throws(DaemonError) in try start(id: id) }
    }

    public func recoverDevice(id: UInt32) throws(APIError) -> DeviceView {
        try answer { () throws(DaemonError) in try recover(id: id) }
    }

    public func deleteDevice(id: UInt32) throws(APIError) {
        try answer { () throws(DaemonError) in try delete(id: id) }
    }

    public func resizeDevice(id: UInt32, _ request: ResizeDeviceRequest) throws(APIError) -> DeviceView {
        try answer { () throws(DaemonError) in try resize(id: id, request) }
    }

    public func statistics(id: UInt32) throws(APIError) -> DeviceStatisticsView {
        try answer { () throws(DaemonError) in try counters(id: id) }
    }

    public func events(id: UInt32, limit: Int, before: Int64?) throws(APIError) -> EventPage {
        try answer { () throws(DaemonError) in try eventPage(id: id, limit: limit, before: before) }
    }

    public func history(deviceID: UInt32?, limit: Int, before: Int64?) throws(APIError) -> EventPage {
        try answer { () throws(DaemonError) in try historyPage(deviceID: deviceID, limit: limit, before: before) }
    }

    private func answer<T>(_ body: () throws(DaemonError) -> T) throws(APIError) -> T {
        do {
            return try body()
        } catch {
            let mapped = Self.apiError(error)
            if mapped.code.status >= 500 && mapped.code != .kernelUnavailable {
                logger.error("request failed: \(error)", metadata: ["api.code": "\(mapped.code.rawValue)"])
            }
            throw mapped
        }
    }

    /// The message a daemon error shows as a device's error and in its event row: the API's, so a client sees
    /// the same words everywhere.
    static func apiMessage(_ error: DaemonError) -> String {
        let mapped = apiError(error)
        return mapped.code.status >= 500 && mapped.code != .kernelUnavailable ? error.description : mapped.message
    }

    static func apiError(_ error: DaemonError) -> APIError {
        switch error {
        case .notFound(let id): return .notFound("no device with id \(id)")
        case .conflict(let message), .refused(let message): return .conflict(message)
        case .invalid(let message): return .validation(message)
        case .backingStore(let message): return APIError(.backingStoreError, message)
        case .kernel(let error): return apiError(error)
        case .store(let error): return apiError(error)
        }
    }

    static func apiError(_ error: EngineError) -> APIError {
        switch error {
        case .kernelUnavailable(let reason):
            return APIError(.kernelUnavailable, reason + " (device operations need the ublk_drv kernel module)")
        case .invalidConfiguration(let message):
            return .validation(message)
        case .backingStore, .network:
            return APIError(.backingStoreError, error.description)
        case .pathNotAllowed:
            return APIError(.pathNotAllowed, error.description)
        case .featureUnavailable:
            return APIError(.featureUnavailable, error.description)
        case .controlCommand(.addDevice, let id, .fileExists):
            return .conflict("device id \(id.map(String.init) ?? "?") is already taken in the kernel")
        case .controlCommand(.addDevice, _, .permissionDenied):
            return .conflict("the kernel's ublk device limit is reached (module parameter ublks_max)")
        case .controlCommand, .system, .queueSetup:
            return APIError(.internal, "internal error; see the daemon log")
        }
    }

    static func apiError(_ error: StoreError) -> APIError {
        switch error {
        case .nameTaken(let name): return .conflict("a device named \"\(name)\" exists")
        case .idTaken(let id): return .conflict("device id \(id) is taken")
        case .notFound(let id): return .notFound("no device with id \(id)")
        case .noFreeDeviceID: return .conflict("no free device id is left")
        case .invalidRecord, .database, .schemaTooNew:
            return APIError(.storeError, "the state store failed; see the daemon log")
        }
    }
}
