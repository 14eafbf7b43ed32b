import Synchronization

/// The body of `GET /devices`. Dashboards poll the list far more often than any device changes, and the daemon hands
/// over the same view of a device until it changes: a list of the same views as the last one (compared view by
/// view, each at a pointer comparison when unchanged) gets the last body; any other list is encoded whole.
final class DeviceListBody: Sendable {
    /// The views last listed and their body.
    private let last = Mutex<(views: [DeviceView], body: [UInt8])?>(nil)

    /// What `JSONBodyEncoder.encode(DeviceList(devices: devices))` writes, and the newline every answer ends with.
    func body(_ devices: [DeviceView]) throws -> [UInt8] {
        if let kept = last.withLock({ $0 }), kept.views == devices { return kept.body }
        let body = try JSONBodyEncoder.encode(DeviceList(devices: devices)) + [UInt8(ascii: "\n")]
        last.withLock { $0 = (devices, body) }
        return body
    }
}
