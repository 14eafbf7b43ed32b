import DeviceModel
import Testing

@Suite("Text written in place: decimal integers and appends of a known maximum length")
struct TextBytesTests {
    private func decimal<T: BinaryInteger>(_ value: T) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: TextBytes.maxDecimalBytes) { buffer in
            let count = TextBytes.decimal(value, at: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
        }
    }

    @Test func integersAtEveryWidth() {
        var values: [Int64] = [0, -1, Int64.min, Int64.max]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, 1 - power]
        }
        for value in values { #expect(decimal(value) == String(value)) }
        var unsigned: UInt64 = 1
        for _ in 0..<19 {
            unsigned *= 10
            for value in [unsigned - 1, unsigned, unsigned + 1] { #expect(decimal(value) == String(value)) }
        }
        #expect(decimal(UInt64.max) == String(UInt64.max))
        #expect(decimal(Int32.min) == String(Int32.min))
    }

    @Test func appendsKeepWhatCameBeforeAndOnlyWhatWasWritten() {
        var buffer: [UInt8] = Array("start:".utf8)
        // Far more than the first capacity, so the buffer grows many times on the way.
        for value in 0..<5_000 {
            buffer.appendInPlace(maxBytes: TextBytes.maxDecimalBytes + 1) { target in
                let count = TextBytes.decimal(value, at: target)
                target[count] = UInt8(ascii: ",")
                return count + 1
            }
        }
        let expected = "start:" + (0..<5_000).map { "\($0)," }.joined()
        #expect(String(decoding: buffer, as: UTF8.self) == expected)
        buffer.appendInPlace(maxBytes: 64) { _ in 0 }
        #expect(buffer.count == expected.utf8.count)
    }
}
