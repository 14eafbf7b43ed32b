import Foundation
internal import GRDB

/// Column decoding that refuses what the schema does not promise. A row edited by hand, or written by a newer
/// ublkd, must fail the read with `StoreError.database` naming the column, not crash the daemon or read as a
/// plausible wrong value.
extension Row {
    /// GRDB's own integer decoding reads through `sqlite3_column_int64`, which turns the text 'big' into 0. SQLite
    /// keeps such text in an INTEGER column (and `'big' > 0` passes a CHECK: text sorts above numbers).
    func integer<T: FixedWidthInteger>(_ column: String, of table: String) throws -> T {
        guard let value: T = try optionalInteger(column, of: table) else {
            throw StoreError.database("\(table).\(column): NULL where an integer is required")
        }
        return value
    }

    func optionalInteger<T: FixedWidthInteger>(_ column: String, of table: String) throws -> T? {
        let value: DatabaseValue = try decode(forColumn: column)
        switch value.storage {
        case .null:
            return nil
        case .int64(let integer):
            guard let converted = T(exactly: integer) else {
                throw StoreError.database("\(table).\(column): \(integer) is out of range for \(T.self)")
            }
            return converted
        case .double, .string, .blob:
            throw StoreError.database("\(table).\(column): \(value) is not an integer")
        }
    }

    func timestamp(_ column: String, of table: String) throws -> Date {
        guard let date = try optionalTimestamp(column, of: table) else {
            throw StoreError.database("\(table).\(column): NULL where a timestamp is required")
        }
        return date
    }

    func optionalTimestamp(_ column: String, of table: String) throws -> Date? {
        let text: String? = try decode(forColumn: column)
        guard let text else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw StoreError.database("\(table).\(column): \"\(text)\" is not an ISO-8601 timestamp")
        }
        return date
    }
}
