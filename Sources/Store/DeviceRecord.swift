import DeviceModel
import Foundation

/// One stored device: a row of `devices`. The definition says what the device is; the rest is the store's own
/// knowledge of it: its id, what the operator last asked it to be, and why reaching that failed.
///
/// Dates are kept to the millisecond. The store returns what it actually wrote, so a record handed back by
/// `insertDevice` equals the one read later.
public struct DeviceRecord: Sendable, Equatable {
    /// The ublk device id (`/dev/ublkb<id>`), below 2^20.
    public var id: UInt32
    public var definition: DeviceDefinition
    public var desiredState: DesiredState
    /// The create made the backing file (`"create": true`), so undoing that create removes it.
    public var madeBackingFile = false
    /// Why the last attempt to reach `desiredState` failed, if it did.
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// A device about to be made: its row is written, in `creating`, before the kernel is touched. (The other
    /// records come from the store, so this is the only public way to make one.)
    public static func creating(id: UInt32, definition: DeviceDefinition, madeBackingFile: Bool, at now: Date)
        -> DeviceRecord
    {
        DeviceRecord(id: id, definition: definition, desiredState: .creating, madeBackingFile: madeBackingFile,
                     createdAt: now, updatedAt: now)
    }

    public var name: String {
        get { definition.name }
        set { definition.name = newValue }
    }
}
