import Glibc
@testable import DeviceModel
import Testing

@Suite("UTCTime: calendar fields by arithmetic, as gmtime_r gives them")
struct UTCTimeTests {
    private func reference(_ seconds: Int64) -> UTCTime {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return UTCTime(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                       hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    @Test func everyDayFrom1900To2500AtItsFirstAndLastSecond() {
        var mismatches = 0
        for day in Int64(-25_567)...Int64(194_558) {
            for seconds in [day * 86_400, day * 86_400 + 86_399] where UTCTime(secondsSinceEpoch: seconds) !=
                reference(seconds) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test func randomMomentsAndKnownDates() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let seconds = Int64.random(in: -5_000_000_000...20_000_000_000, using: &generator)
            #expect(UTCTime(secondsSinceEpoch: seconds) == reference(seconds), "\(seconds)")
        }
        #expect(UTCTime(secondsSinceEpoch: 0) == UTCTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0))
        #expect(UTCTime(secondsSinceEpoch: 951_825_599)
                == UTCTime(year: 2000, month: 2, day: 29, hour: 11, minute: 59, second: 59))
        #expect(UTCTime(secondsSinceEpoch: -1)
                == UTCTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test func calendarDatesAndImpossibleOnes() {
        for (year, month, day) in [(2024, 2, 29), (2000, 2, 29), (2026, 4, 30), (2026, 12, 31), (1, 1, 1)] {
            #expect(UTCTime.isDate(year: Int64(year), month: Int64(month), day: Int64(day)), "\(year)-\(month)-\(day)")
        }
        for (year, month, day) in [(2026, 2, 29), (1900, 2, 29), (2026, 4, 31), (2026, 13, 1), (2026, 0, 1),
                                   (2026, 1, 0), (2026, 1, 32)] {
            #expect(!UTCTime.isDate(year: Int64(year), month: Int64(month), day: Int64(day)), "\(year)-\(month)-\(day)")
        }
    }

    @Test func flooredDivisionRoundsTowardMinusInfinity() {
        #expect(flooredDivision(1_999, by: 1_000) == (1, 999))
        #expect(flooredDivision(-1, by: 1_000) == (-1, 999))
        #expect(flooredDivision(-1_000, by: 1_000) == (-1, 0))
        #expect(flooredDivision(-1_001, by: 1_000) == (-2, 999))
    }
}
