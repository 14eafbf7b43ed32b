import DeviceModel
import Foundation

/// Dates as the store writes them: ISO-8601 text in UTC to the millisecond (`2026-11-26T01:02:03.456Z`), so the
/// `sqlite3` shell shows readable times and text order is time order.
///
/// Hand-rolled rather than a Foundation formatter: the conversion must be exact both ways (a date read back must
/// equal the date returned on write), and this runs on every row.
enum Timestamp {
    /// 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: what four year digits can hold.
    static let millisecondRange: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// Milliseconds since 1970, rounded to nearest: rounding (not truncating) keeps `milliseconds(date(ms)) == ms`
    /// despite the binary fraction in `Date`.
    static func milliseconds(_ date: Date) -> Int64? {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite, let ms = Int64(exactly: value), millisecondRange.contains(ms) else { return nil }
        return ms
    }

    static func date(milliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    /// The date the store will hand back for `date`, or nil if it cannot be stored.
    static func normalized(_ date: Date) -> Date? {
        milliseconds(date).map(Self.date(milliseconds:))
    }

    static func string(_ date: Date, column: String) throws(StoreError) -> String {
        guard let ms = milliseconds(date) else {
            // Not `\(date)`: Foundation traps describing a NaN date.
            throw .invalidRecord("\(column): \(date.timeIntervalSince1970) s since 1970 is outside years 1 to 9999")
        }
        return string(milliseconds: ms)
    }

    static func string(milliseconds ms: Int64) -> String {
        let (seconds, millis) = flooredDivision(ms, by: 1000)
        let time = UTCTime(secondsSinceEpoch: seconds)
        return pad(time.year, 4) + "-" + pad(time.month, 2) + "-" + pad(time.day, 2) + "T" + pad(time.hour, 2) + ":"
            + pad(time.minute, 2) + ":" + pad(time.second, 2) + "." + pad(Int(millis), 3) + "Z"
    }

    /// Reads what `string` writes, and is lenient about what a person may type into the `sqlite3` shell: a space
    /// instead of `T` (SQLite's own `datetime()`), no fraction, no `Z` (UTC assumed, as SQLite does).
    static func parse(_ text: String) -> Date? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.skip("-"),
            let month = scanner.number(digits: 2), scanner.skip("-"),
            let day = scanner.number(digits: 2), scanner.skip("T") || scanner.skip(" "),
            let hour = scanner.number(digits: 2), scanner.skip(":"),
            let minute = scanner.number(digits: 2), scanner.skip(":"),
            let second = scanner.number(digits: 2)
        else { return nil }
        var millis: Int64 = 0
        if scanner.skip(".") {
            guard let (fraction, count) = scanner.fraction() else { return nil }
            // Beyond milliseconds is dropped: the store never writes more.
            millis = fraction * [100, 10, 1][Int(count) - 1]
        }
        _ = scanner.skip("Z")
        guard scanner.atEnd, year >= 1, UTCTime.isDate(year: year, month: month, day: day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let seconds = UTCTime.days(fromYear: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return date(milliseconds: seconds * 1000 + millis)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private struct DigitScanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func number(digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + digits] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }

        /// The first three digits of a fraction and how many of them there were (1 to 3); the rest is consumed.
        mutating func fraction() -> (Int64, Int64)? {
            var value: Int64 = 0
            var count: Int64 = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if count < 3 {
                    value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                    count += 1
                }
                index += 1
            }
            return count == 0 ? nil : (value, count)
        }
    }
}
