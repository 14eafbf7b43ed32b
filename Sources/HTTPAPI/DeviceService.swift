/// What the API needs from the rest of the daemon. The router calls it; the daemon implements it; tests fake it.
/// The reads of memory that dashboards poll (`listDevices`, `device`, `statistics`, `health`, `metricsExposition`)
/// run on the transport's event loop and must never wait on the kernel, the store or a disk; every other call may
/// block (building a device takes a while) and runs on a thread of its own (see `Router.match`).
public protocol DeviceService: Sendable {
    func createDevice(_ request: CreateDeviceRequest) throws(APIError) -> DeviceView
    func listDevices() throws(APIError) -> [DeviceView]
    func device(id: UInt32) throws(APIError) -> DeviceView
    func stopDevice(id: UInt32) throws(APIError) -> DeviceView
    func startDevice(id: UInt32) throws(APIError) -> DeviceView
    func recoverDevice(id: UInt32) throws(APIError) -> DeviceView
    func deleteDevice(id: UInt32) throws(APIError)
    func resizeDevice(id: UInt32, _ request: ResizeDeviceRequest) throws(APIError) -> DeviceView
    func statistics(id: UInt32) throws(APIError) -> DeviceStatisticsView
    /// The history of a stored device; 404 once it is deleted (its history stays readable through `history`).
    func events(id: UInt32, limit: Int, before: Int64?) throws(APIError) -> EventPage
    /// Every event, or one device id's, deleted devices included: the audit trail.
    func history(deviceID: UInt32?, limit: Int, before: Int64?) throws(APIError) -> EventPage
    func health() -> HealthView
    /// The Prometheus text exposition (format 0.0.4) of the daemon's metrics.
    func metricsExposition() -> [UInt8]
}
