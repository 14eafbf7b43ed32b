internal import GRDB

/// Everything the store can fail with. The daemon maps each case to an API error once, at its edge.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// Another device already has this name.
    case nameTaken(String)
    /// Another device already has this id.
    case idTaken(UInt32)
    /// No device has this id.
    case notFound(UInt32)
    /// All 2^20 ublk device ids are in use or excluded.
    case noFreeDeviceID
    /// A value the schema refuses (a CHECK or NOT NULL constraint) or that SQLite cannot hold (a size above
    /// Int64.max, a date outside years 1 to 9999). The daemon validates first, so this is a bug upstream.
    case invalidRecord(String)
    /// SQLite failed unexpectedly, or a row could not be decoded (a file edited by hand, or corrupted).
    case database(String)
    /// The file was migrated by a newer ublkd. Opening it could corrupt data this version does not understand.
    case schemaTooNew(found: Int, known: Int)

    public var description: String {
        switch self {
        case .nameTaken(let name):
            return "a device named \"\(name)\" already exists"
        case .idTaken(let id):
            return "device id \(id) is already in use"
        case .notFound(let id):
            return "no device with id \(id)"
        case .noFreeDeviceID:
            return "no free ublk device id"
        case .invalidRecord(let message):
            return "invalid record: \(message)"
        case .database(let message):
            return "database error: \(message)"
        case .schemaTooNew(let found, let known):
            return "database schema version \(found) is newer than this ublkd knows (\(known)); upgrade ublkd"
        }
    }

    /// Folds whatever GRDB, SQLite or a decoder threw into this enum, so that no other error type leaves the store.
    init(_ error: any Error) {
        switch error {
        case let error as StoreError:
            self = error
        case let error as DatabaseError:
            switch error.extendedResultCode {
            case .SQLITE_CONSTRAINT_CHECK, .SQLITE_CONSTRAINT_NOTNULL:
                self = .invalidRecord(error.message ?? error.description)
            default:
                self = .database(error.description)
            }
        default:
            self = .database(String(describing: error))
        }
    }
}
