import Foundation

/// How numbers, sizes, durations and timestamps look in the tables. One place so every command agrees.
enum Format {
    /// Binary units with one decimal ("256.0 MiB"), because device sizes are powers of two far more often than not;
    /// plain bytes below 1 KiB.
    static func bytes(_ count: UInt64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard count >= 1024 else { return "\(count) B" }
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }

    static func milliseconds(_ value: Int64?) -> String {
        guard let value else { return "-" }
        if value < 1000 { return "\(value) ms" }
        if value < 60_000 { return String(format: "%.1f s", Double(value) / 1000) }
        return seconds(Double(value) / 1000)
    }

    /// "3d 4h", "2h 5m", "1m 7s", "12s": the two leading units are all anyone reads of an uptime.
    static func seconds(_ value: Double) -> String {
        let total = Int(value.rounded(.down))
        let (days, hours, minutes, seconds) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(seconds)s" }
        return "\(seconds)s"
    }

    /// An API timestamp (RFC 3339, UTC) in local time, to the second; the raw text if it does not parse, so an
    /// unexpected format is still shown rather than lost.
    static func timestamp(_ text: String?) -> String {
        guard let text else { return "-" }
        guard let date = parseTimestamp(text) else { return text }
        return localTime(date, format: "yyyy-MM-dd HH:mm:ss")
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let parser = ISO8601DateFormatter()
        if let date = parser.date(from: text) { return date }
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return parser.date(from: text)
    }

    static func localTime(_ date: Date, format: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = format
        return formatter.string(from: date)
    }

    static func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
}
