import Synchronization

/// The body of `GET /devices`, from each device's JSON as last shown: dashboards poll the list far more often than
/// any device changes, and a view equal to the one shown last is the same bytes. Every view is compared in full
/// (nothing can be stale); only its encoding is saved. Costs a comparison per device instead of an encoding.
final class DeviceListBody: Sendable {
    private let shown = Mutex<[UInt32: (view: DeviceView, json: [UInt8])]>([:])

    /// What `JSONBodyEncoder.encode(DeviceList(devices: devices))` writes.
    func body(_ devices: [DeviceView]) throws -> [UInt8] {
        var parts: [[UInt8]] = []
        parts.reserveCapacity(devices.count)
        var known = shown.withLock { $0 }
        var changed = false
        for device in devices {
            if let last = known[device.id], last.view == device {
                parts.append(last.json)
                continue
            }
            guard let json = try JSONBodyEncoder.encode(device, depth: 2) else {
                return try JSONBodyEncoder.encode(DeviceList(devices: devices))
            }
            known[device.id] = (device, json)
            parts.append(json)
            changed = true
        }
        if changed || known.count != devices.count {
            let present = Set(devices.map(\.id))
            known = known.filter { present.contains($0.key) }
            shown.withLock { [known] in $0 = known }
        }
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(32) { $0 + $1.count + 6 })
        out.append(contentsOf: "{\n  \"devices\" : [\n".utf8)
        for (index, part) in parts.enumerated() {
            out.append(contentsOf: "    ".utf8)
            out.append(contentsOf: part)
            out.append(contentsOf: (index < parts.count - 1 ? ",\n" : "\n").utf8)
        }
        if parts.isEmpty { out.append(UInt8(ascii: "\n")) }
        out.append(contentsOf: "  ]\n}".utf8)
        return out
    }
}
