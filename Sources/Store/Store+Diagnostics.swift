internal import GRDB

/// Reach into the raw database, for tests that check settings per connection or need states the API refuses to
/// produce (a newer schema, a row edited by hand).
extension Store {
    /// The first column of the first row of `sql`, as text, read on the writer connection or a reader connection.
    func scalar(_ sql: String, onWriter: Bool = false) throws(StoreError) -> String? {
        do {
            if onWriter {
                return try database.writeWithoutTransaction { try String.fetchOne($0, sql: sql) }
            }
            return try database.read { try String.fetchOne($0, sql: sql) }
        } catch {
            throw StoreError(error)
        }
    }

    /// `PRAGMA name` on the writer connection, where durability settings matter, or on a reader connection.
    func pragma(_ name: String, onWriter: Bool) throws(StoreError) -> String? {
        try scalar("PRAGMA \(name)", onWriter: onWriter)
    }

    func executeRaw(_ sql: String) throws(StoreError) {
        do {
            try database.writeWithoutTransaction { try $0.execute(sql: sql) }
        } catch {
            throw StoreError(error)
        }
    }
}
