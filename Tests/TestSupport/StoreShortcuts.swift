import Store

/// One-query transactions, for tests that set up or check a single row: the daemon itself always goes through
/// `Store.write` and `Store.read`.
extension Store {
    @discardableResult
    public func insertDevice(_ device: DeviceRecord) throws -> DeviceRecord {
        try write { try $0.insertDevice(device) }
    }

    @discardableResult
    public func updateDevice(_ device: DeviceRecord) throws -> DeviceRecord {
        try write { try $0.updateDevice(device) }
    }

    public func deleteDevice(id: UInt32) throws {
        try write { try $0.deleteDevice(id: id) }
    }

    @discardableResult
    public func appendEvent(_ event: EventRecord) throws -> EventRecord {
        try write { try $0.appendEvent(event) }
    }

    public func device(id: UInt32) throws -> DeviceRecord? { try read { try $0.device(id: id) } }

    public func device(named name: String) throws -> DeviceRecord? { try read { try $0.device(named: name) } }

    public func devices() throws -> [DeviceRecord] { try read { try $0.devices() } }

    public func freeDeviceID(excluding: Set<UInt32> = []) throws -> UInt32 {
        try read { try $0.freeDeviceID(excluding: excluding) }
    }

    public func events(deviceID: UInt32?, limit: Int, before: Int64? = nil) throws -> [EventRecord] {
        try read { try $0.events(deviceID: deviceID, limit: limit, before: before) }
    }

    public func lastEvent(deviceID: UInt32, kinds: Set<String>? = nil) throws -> EventRecord? {
        try read { try $0.lastEvent(deviceID: deviceID, kinds: kinds) }
    }

    public func eventCount(deviceID: UInt32, kinds: Set<String>? = nil) throws -> Int {
        try read { try $0.eventCount(deviceID: deviceID, kinds: kinds) }
    }

    public func eventSummaries(kinds: Set<String>) throws -> [UInt32: EventSummary] {
        try read { try $0.eventSummaries(kinds: kinds) }
    }
}
