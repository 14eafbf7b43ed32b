/// A moment as UTC calendar fields, worked out by arithmetic on the day count (proleptic Gregorian calendar, Howard
/// Hinnant's public-domain day-count conversions). The one calendar arithmetic of the project: the store's timestamps
/// and the API's dates use it. What `gmtime_r` answers, without the process-wide lock glibc takes for every call
/// (its time-zone state's, even for UTC): the polled answers carry dates, and two event loops formatting them would
/// pass that lock between them.
public struct UTCTime: Equatable, Sendable {
    public var year: Int
    /// 1...12
    public var month: Int
    /// 1...31
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
    }

    public init(secondsSinceEpoch: Int64) {
        let (days, ofDay) = flooredDivision(secondsSinceEpoch, by: 86_400)
        hour = Int(ofDay / 3600)
        minute = Int(ofDay % 3600 / 60)
        second = Int(ofDay % 60)
        (year, month, day) = Self.civil(fromDays: days)
    }

    /// Days from 1970-01-01 to the given date.
    public static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        // Years counted from March, so that the leap day is the last day of its year.
        let marchYear = month <= 2 ? year - 1 : year
        let cycle = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfCycle = marchYear - cycle * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfCycle = yearOfCycle * 365 + yearOfCycle / 4 - yearOfCycle / 100 + dayOfYear
        return cycle * 146_097 + dayOfCycle - 719_468
    }

    /// Whether the fields name a day of the calendar (29 February only in leap years).
    public static func isDate(year: Int64, month: Int64, day: Int64) -> Bool {
        guard (1...12).contains(month), (1...31).contains(day) else { return false }
        let found = civil(fromDays: days(fromYear: year, month: month, day: day))
        return Int64(found.year) == year && Int64(found.month) == month && Int64(found.day) == day
    }

    /// The date `days` after 1970-01-01 (before it when negative).
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        // Count from 1 March of year 0, so that the leap day is the last day of its (March-based) year, and in
        // 400-year cycles of 146,097 days, which repeat exactly.
        let fromMarch0 = days + 719_468
        let cycle = (fromMarch0 >= 0 ? fromMarch0 : fromMarch0 - 146_096) / 146_097
        let dayOfCycle = fromMarch0 - cycle * 146_097
        // Each 4 years add a leap day, each 100 take one away, the 400th (the cycle's last day) puts it back.
        let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365
        let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)
        // Months from March have 31, 30, 31, 30, 31 days, twice, then 31 and the rest: 153 days per 5 months.
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        return (Int(yearOfCycle + cycle * 400) + (month <= 2 ? 1 : 0), month, day)
    }
}

/// `value` in whole `divisor`s rounded toward minus infinity, and what is left (0..<divisor). Swift's `/` rounds toward
/// zero, which would put a moment before 1970 in the next second (or day) and leave a negative remainder.
public func flooredDivision(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    let remainder = value % divisor
    return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
}
