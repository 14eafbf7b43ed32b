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
    public var madeBackingFile: Bool
    /// Why the last attempt to reach `desiredState` failed, if it did.
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UInt32, definition: DeviceDefinition, desiredState: DesiredState, madeBackingFile: Bool = false,
                lastError: String? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.definition = definition
        self.desiredState = desiredState
        self.madeBackingFile = madeBackingFile
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var name: String {
        get { definition.name }
        set { definition.name = newValue }
    }
}
