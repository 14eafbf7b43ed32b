// Text written as bytes straight into a growing buffer: the API's hand-written bodies (the polled JSON views, the
// metrics exposition) are many short pieces, and appending each piece on its own costs a capacity check, a
// uniqueness check and a copy call, more than the piece itself.

extension Array where Element == UInt8 {
    /// Lets `body` write up to `maxBytes` right after the bytes so far, returning how many it wrote.
    // SAFETY: the pointer `body` gets is the start of `maxBytes` reserved, uninitialized bytes of this array, valid
    // for that call only; `body` must write no more than `maxBytes` (every caller bounds its piece first) and
    // return exactly how many bytes it initialized, which become the array's new elements.
    @inlinable
    public mutating func appendInPlace(maxBytes: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        // Grown by doubling: reserving only what this append needs would copy the whole buffer on every append.
        if capacity < count + maxBytes { reserveCapacity(Swift.max(count + maxBytes, capacity * 2)) }
        append(addingCapacity: maxBytes) { (span: inout OutputSpan<UInt8>) in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                initialized = body(buffer.baseAddress!)
            }
        }
    }

    /// `value` in decimal.
    @inlinable
    public mutating func appendDecimal<T: BinaryInteger>(_ value: T) {
        appendInPlace(maxBytes: TextBytes.maxDecimalBytes) { TextBytes.decimal(value, at: $0) }
    }
}

/// Pieces of text written at a pointer (inside `appendInPlace`), each returning how many bytes it wrote.
public enum TextBytes {
    /// A sign and 20 digits at most (UInt64.max, Int64.min).
    public static let maxDecimalBytes = 21

    /// Writes `value` in decimal at `target` (room for `maxDecimalBytes`); returns how many bytes. Two digits per
    /// 64-bit division: the counters of a polled view are long numbers.
    @inlinable
    public static func decimal<T: BinaryInteger>(_ value: T, at target: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = UInt64(value.magnitude)
        let sign = value < 0 ? 1 : 0
        var length = sign + 1
        var bound: UInt64 = 10
        while length - sign < 20 && magnitude >= bound {
            length += 1
            bound &*= 10
        }
        let zero = UInt8(ascii: "0")
        var at = length
        while magnitude >= 100 {
            let pair = UInt8(truncatingIfNeeded: magnitude % 100)
            magnitude /= 100
            at -= 2
            target[at] = zero + pair / 10
            target[at + 1] = zero + pair % 10
        }
        if magnitude >= 10 {
            at -= 2
            target[at] = zero + UInt8(magnitude / 10)
            target[at + 1] = zero + UInt8(magnitude % 10)
        } else {
            at -= 1
            target[at] = zero + UInt8(magnitude)
        }
        if sign == 1 { target[0] = UInt8(ascii: "-") }
        return length
    }

    /// Copies `bytes` to `target`; returns how many.
    @inlinable
    public static func copy(_ bytes: UnsafeBufferPointer<UInt8>, to target: UnsafeMutablePointer<UInt8>) -> Int {
        if let base = bytes.baseAddress { target.initialize(from: base, count: bytes.count) }
        return bytes.count
    }
}
