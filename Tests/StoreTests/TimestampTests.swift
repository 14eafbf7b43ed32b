import TestSupport
import Foundation
@testable import Store
import Testing

@Suite("Timestamps are ISO-8601 UTC text to the millisecond, exact both ways")
struct TimestampTests {
    @Test func formatsUTCWithMilliseconds() throws {
        #expect(Timestamp.string(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(try Timestamp.string(StoreFixtures.epoch, column: "c") == "2026-11-26T01:02:03.456Z")
        #expect(Timestamp.string(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.string(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(Timestamp.string(milliseconds: Timestamp.millisecondRange.lowerBound) == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp.string(milliseconds: Timestamp.millisecondRange.upperBound) == "9999-12-31T23:59:59.999Z")
    }

    @Test func everyMillisecondSurvivesTheRoundTrip() throws {
        // Dates whose binary fraction lies just below the millisecond: truncation would lose one.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let ms = Int64.random(in: Timestamp.millisecondRange, using: &generator)
            let date = Timestamp.date(milliseconds: ms)
            #expect(Timestamp.milliseconds(date) == ms)
            let text = Timestamp.string(milliseconds: ms)
            #expect(Timestamp.parse(text) == date, "\(text)")
        }
    }

    @Test func agreesWithFoundationOnTheCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for seconds in stride(from: -2_000_000_000, through: 4_000_000_000, by: 7_777_777) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.000Z", parts.year!, parts.month!, parts.day!, parts.hour!,
                parts.minute!, parts.second!)
            #expect(try Timestamp.string(date, column: "c") == expected)
        }
    }

    @Test func parsesWhatAPersonTypesIntoSqlite3() {
        let epoch = Date(timeIntervalSince1970: 1_795_654_923)
        #expect(Timestamp.parse("2026-11-26 01:02:03") == epoch)
        #expect(Timestamp.parse("2026-11-26T01:02:03Z") == epoch)
        #expect(Timestamp.parse("2026-11-26T01:02:03.4Z") == Timestamp.date(milliseconds: 1_795_654_923_400))
        #expect(Timestamp.parse("2026-11-26T01:02:03.45") == Timestamp.date(milliseconds: 1_795_654_923_450))
        #expect(Timestamp.parse("2026-11-26T01:02:03.456789Z") == StoreFixtures.epoch)
    }

    @Test func refusesWhatIsNotATimestamp() {
        for text in [
            "", "yesterday", "2026-11-26", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-26T24:00:00Z",
            "2026-11-26T01:02:60Z", "2026-11-26T01:02:03.Z", "2026-11-26T01:02:03+02:00", "0000-01-01T00:00:00Z",
            "2026-11-26T01:02:03Zjunk", "+2026-11-26T01:02:03Z",
        ] {
            #expect(Timestamp.parse(text) == nil, "\(text)")
        }
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test func datesOutsideFourDigitYearsHaveNoMilliseconds() {
        #expect(Timestamp.milliseconds(.distantPast) == nil)
        #expect(Timestamp.milliseconds(Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(Timestamp.milliseconds(Date(timeIntervalSince1970: .nan)) == nil)
        #expect(Timestamp.milliseconds(.distantFuture) != nil)
    }
}
