import Synchronization

/// The body of `GET /devices`, from each device's JSON as last shown: dashboards poll the list far more often than
/// any device changes, and a view equal to the one shown last is the same bytes. Every view is compared in full
/// (nothing can be stale); only its encoding is saved. Costs a comparison per device instead of an encoding.
final class DeviceListBody: Sendable {
    /// A device's view and its JSON (as nested in the list), behind a reference so that a lookup copies neither.
    private final class Shown: Sendable {
        let view: DeviceView
        let json: [UInt8]

        init(_ view: DeviceView, _ json: [UInt8]) {
            self.view = view
            self.json = json
        }
    }

    private let shown = Mutex<[UInt32: Shown]>([:])

    /// What `JSONBodyEncoder.encode(DeviceList(devices: devices))` writes, and the newline every answer ends with
    /// (written here, where the bytes are put together, rather than by copying them once more).
    func body(_ devices: [DeviceView]) throws -> [UInt8] {
        var parts = [Shown?](repeating: nil, count: devices.count)
        let known = shown.withLock { table in
            for index in devices.indices {
                if let last = table[devices[index].id], last.view == devices[index] { parts[index] = last }
            }
            return table.count
        }
        var changed = known != devices.count
        for index in devices.indices where parts[index] == nil {
            guard let json = try JSONBodyEncoder.encode(devices[index], depth: 2) else {
                return try JSONBodyEncoder.encode(DeviceList(devices: devices)) + [UInt8(ascii: "\n")]
            }
            parts[index] = Shown(devices[index], json)
            changed = true
        }
        if changed {
            let table = Dictionary(uniqueKeysWithValues: zip(devices.map(\.id), parts.map { $0! }))
            shown.withLock { $0 = table }
        }
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(32) { $0 + $1!.json.count + 7 })
        out.append(contentsOf: "{\n  \"devices\" : [\n".utf8)
        for (index, part) in parts.enumerated() {
            out.append(contentsOf: "    ".utf8)
            out.append(contentsOf: part!.json)
            out.append(contentsOf: (index < parts.count - 1 ? ",\n" : "\n").utf8)
        }
        if parts.isEmpty { out.append(UInt8(ascii: "\n")) }
        out.append(contentsOf: "  ]\n}\n".utf8)
        return out
    }
}
