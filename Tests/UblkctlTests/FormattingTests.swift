@testable import ublkctl
import Testing

@Suite("Sizes, durations and tables look the same everywhere")
struct FormattingTests {
    @Test func bytesUseBinaryUnitsWithOneDecimal() {
        #expect(Format.bytes(0) == "0 B")
        #expect(Format.bytes(1023) == "1023 B")
        #expect(Format.bytes(1024) == "1.0 KiB")
        #expect(Format.bytes(268_435_456) == "256.0 MiB")
        #expect(Format.bytes(10 << 30) == "10.0 GiB")
        #expect(Format.bytes(1_500_000_000) == "1.4 GiB")
        #expect(Format.bytes(UInt64.max) == "16.0 EiB")
    }

    @Test func durations() {
        #expect(Format.milliseconds(nil) == "-")
        #expect(Format.milliseconds(12) == "12 ms")
        #expect(Format.milliseconds(1500) == "1.5 s")
        #expect(Format.milliseconds(75_000) == "1m 15s")
        #expect(Format.seconds(3 * 86400 + 4 * 3600 + 59) == "3d 4h")
        #expect(Format.seconds(7) == "7s")
    }

    @Test func unparseableTimestampsAreShownAsTheyCame() {
        #expect(Format.timestamp("yesterday") == "yesterday")
        #expect(Format.timestamp(nil) == "-")
        #expect(Format.parseTimestamp("2026-11-26T01:02:03Z") != nil)
        #expect(Format.parseTimestamp("2026-11-26T01:02:03.456Z") != nil)
    }

    @Test func tablesPadToTheWidestCellWithoutTrailingBlanks() {
        var table = Table([("ID", .right), ("NAME", .left), ("SIZE", .right), ("NOTE", .left)])
        table.append(["3", "scratch", "256.0 MiB", "-"])
        table.append(["12", "db", "10.0 GiB", "a longer note"])
        #expect(table.render() == [
            "ID  NAME          SIZE  NOTE",
            " 3  scratch  256.0 MiB  -",
            "12  db        10.0 GiB  a longer note",
        ])
    }

    @Test func keyValueListsAlignValuesAndSkipAbsentOnes() {
        var list = KeyValueList()
        list.append("id", "3")
        list.append("error", nil)
        list.append("block device", "/dev/ublkb3")
        #expect(list.render() == ["id:            3", "block device:  /dev/ublkb3"])
    }
}
