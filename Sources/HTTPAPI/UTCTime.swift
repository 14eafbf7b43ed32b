/// A moment as UTC calendar fields, worked out by arithmetic on the day count (proleptic Gregorian calendar). What
/// `gmtime_r` answers, without the process-wide lock glibc takes for every call (its time-zone state's, even for
/// UTC): the polled answers carry dates, and two event loops formatting them would pass that lock between them.
struct UTCTime: Equatable {
    var year: Int
    /// 1...12
    var month: Int
    /// 1...31
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second) = (hour, minute, second)
    }

    init(secondsSinceEpoch: Int64) {
        let secondsPerDay: Int64 = 86_400
        var days = secondsSinceEpoch / secondsPerDay
        var ofDay = secondsSinceEpoch % secondsPerDay
        if ofDay < 0 {
            ofDay += secondsPerDay
            days -= 1
        }
        hour = Int(ofDay / 3600)
        minute = Int(ofDay % 3600 / 60)
        second = Int(ofDay % 60)
        // Count from 1 March of year 0, so that the leap day is the last day of its (March-based) year, and
        // in 400-year cycles of 146,097 days, which repeat exactly.
        let fromMarch0 = days + 719_468
        let cycle = (fromMarch0 >= 0 ? fromMarch0 : fromMarch0 - 146_096) / 146_097
        let dayOfCycle = fromMarch0 - cycle * 146_097
        // Each 4 years add a leap day, each 100 take one away, the 400th (the cycle's last day) puts it back.
        let yearOfCycle = (dayOfCycle - dayOfCycle / 1460 + dayOfCycle / 36_524 - dayOfCycle / 146_096) / 365
        let dayOfYear = dayOfCycle - (365 * yearOfCycle + yearOfCycle / 4 - yearOfCycle / 100)
        // Months from March have 31, 30, 31, 30, 31 days, twice, then 31 and the rest: 153 days per 5 months.
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        year = Int(yearOfCycle + cycle * 400) + (month <= 2 ? 1 : 0)
    }
}
