import Foundation
internal import GRDB

/// The store's queries, inside one transaction of `Store.write(_:)` or `Store.read(_:)`. Reads in a write see its
/// own uncommitted changes.
///
/// Valid only while the body that received it runs.
public final class StoreTransaction {
    private let db: Database

    init(_ db: Database) {
        self.db = db
    }

    @discardableResult
    public func insertDevice(_ device: DeviceRecord) throws(StoreError) -> DeviceRecord {
        try run { try DeviceQueries.insert(device, $0) }
    }

    @discardableResult
    public func updateDevice(_ device: DeviceRecord) throws(StoreError) -> DeviceRecord {
        try run { try DeviceQueries.update(device, now: Date(), $0) }
    }

    public func deleteDevice(id: UInt32) throws(StoreError) {
        try run { try DeviceQueries.delete(id: id, $0) }
    }

    public func device(id: UInt32) throws(StoreError) -> DeviceRecord? {
        try run { try DeviceQueries.device(id: id, $0) }
    }

    public func device(named name: String) throws(StoreError) -> DeviceRecord? {
        try run { try DeviceQueries.device(named: name, $0) }
    }

    public func devices() throws(StoreError) -> [DeviceRecord] {
        try run { try DeviceQueries.devices($0) }
    }

    /// Unlike `Store.freeDeviceID`, a promise: no one else can take the id before this transaction inserts it.
    public func freeDeviceID(excluding: Set<UInt32> = []) throws(StoreError) -> UInt32 {
        try run { try DeviceQueries.freeDeviceID(excluding: excluding, $0) }
    }

    @discardableResult
    public func appendEvent(_ event: EventRecord) throws(StoreError) -> EventRecord {
        try run { try EventQueries.append(event, $0) }
    }

    /// Up to `limit` events, newest first; `deviceID` nil means every device's, deleted ones included. For the
    /// next page pass the id of the last event received as `before`.
    public func events(deviceID: UInt32?, limit: Int, before: Int64? = nil) throws(StoreError) -> [EventRecord] {
        try run { try EventQueries.events(deviceID: deviceID, limit: limit, before: before, $0) }
    }

    public func lastEvent(deviceID: UInt32, kinds: Set<String>? = nil) throws(StoreError) -> EventRecord? {
        try run { try EventQueries.lastEvent(deviceID: deviceID, kinds: kinds, $0) }
    }

    public func eventCount(deviceID: UInt32, kinds: Set<String>? = nil) throws(StoreError) -> Int {
        try run { try EventQueries.eventCount(deviceID: deviceID, kinds: kinds, $0) }
    }

    /// Per stored device, how many events of `kinds` it has had since it was created, and the newest of them.
    public func eventSummaries(kinds: Set<String>) throws(StoreError) -> [UInt32: EventSummary] {
        try run { try EventQueries.summaries(kinds: kinds, $0) }
    }

    private func run<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try body(db)
        } catch {
            throw StoreError(error)
        }
    }
}
