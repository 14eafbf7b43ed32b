import Foundation

/// One lifecycle step or recovery attempt of a device: a row of `events`. Events keep the device's id and name
/// because they outlive the device.
public struct EventRecord: Sendable, Equatable, Codable {
    /// Assigned by the store on insert; 0 before. Increases with every event, so it orders events and pages them.
    public var id: Int64 = 0
    public var deviceID: UInt32
    public var deviceName: String
    /// created, started, stopped, deleted, crash_recovery, recreate, manual, resize, create_failed, ...
    public var kind: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var durationMs: Int64?
    /// "ok" or "failed".
    public var outcome: String
    public var error: String?
    /// Free text (or JSON) for whatever else the daemon wants to keep.
    public var detail: String?

    /// A step of a device that ended at `finishedAt`: its duration in milliseconds, and "failed" if it has an error.
    public static func finished(deviceID: UInt32, deviceName: String, kind: String, startedAt: Date,
                                finishedAt: Date = Date(), error: String? = nil, detail: String? = nil) -> EventRecord {
        EventRecord(deviceID: deviceID, deviceName: deviceName, kind: kind, startedAt: startedAt, finishedAt: finishedAt,
                    durationMs: Int64((finishedAt.timeIntervalSince(startedAt) * 1000).rounded()),
                    outcome: error == nil ? "ok" : "failed", error: error, detail: detail)
    }
}

/// How many events of some kinds a device has, and the newest of them.
public struct EventSummary: Sendable, Equatable {
    public var count: Int
    public var last: EventRecord?

    public init(count: Int, last: EventRecord?) {
        self.count = count
        self.last = last
    }
}
