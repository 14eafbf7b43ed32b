import DeviceModel
import Foundation

/// The bytes written so far, shared by every encoder of one value.
final class JSONBodyWriter {
    // SAFETY: one encoding runs on one thread and nothing holds an access to `out` across a call, so Swift's dynamic
    // exclusivity check (a thread-local lookup on every append, most of the encoder's time) guards nothing here.
    @exclusivity(unchecked) var out: [UInt8] = []
    /// Set when a conformance asked for something written in order cannot give (see `JSONBodyEncoder`).
    var needsFoundation = false

    init() { out.reserveCapacity(2048) }

    /// Writes `value`: scalars directly, anything else through `encoder` (a fresh one at the value's depth).
    func value<T: Encodable>(_ value: T, _ encoder: JSONValueEncoder) throws {
        if T.self == Date.self {
            // SAFETY: T is Date, checked just above.
            date(unsafeBitCast(value, to: Date.self))
            return
        }
        // Foundation converts the keys of coded types, not a dictionary's own keys (health's `devices` map).
        if T.self is any StringKeyedDictionary.Type { encoder.keepsKeys = true }
        try value.encode(to: encoder)
        encoder.finish()
    }

    func indent(_ depth: Int) {
        let width = depth * 2
        if width <= Self.spaces.count {
            Self.spaces.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<width])) }
        } else {
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: width))
        }
    }

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 16)

    func literal(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    func integer<T: BinaryInteger>(_ value: T) {
        out.appendDecimal(value)
    }

    func double(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "not a finite number"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(contentsOf: text.utf8)
    }

    func string(_ text: String) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            // Most strings need no escape: copied in one go.
            guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                out.append(contentsOf: bytes)
                return
            }
            escaped(bytes)
        }
        out.append(UInt8(ascii: "\""))
    }

    private func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): literal("\\\"")
            case UInt8(ascii: "\\"): literal("\\\\")
            case 0x0A: literal("\\n")
            case 0x0D: literal("\\r")
            case 0x09: literal("\\t")
            case 0x08: literal("\\b")
            case 0x0C: literal("\\f")
            case 0..<0x20:
                literal("\\u00")
                out.append(Self.hex[Int(byte >> 4)])
                out.append(Self.hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// `"key" : ` with the key in snake_case: "readBytes" -> "read_bytes", "myURLField" -> "my_url_field"; as it
    /// is when `converted` is false.
    func key(_ name: String, converted: Bool = true) {
        out.append(UInt8(ascii: "\""))
        var name = name
        name.withUTF8 { bytes in
            guard converted, bytes.contains(where: Self.isUpper) else {
                out.append(contentsOf: bytes)
                return
            }
            for index in bytes.indices {
                let byte = bytes[index]
                guard Self.isUpper(byte) else {
                    out.append(byte)
                    continue
                }
                if index > 0 {
                    let previous = bytes[index - 1]
                    let nextIsLower = index + 1 < bytes.count && Self.isLower(bytes[index + 1])
                    if Self.isLower(previous) || Self.isDigit(previous) || (Self.isUpper(previous) && nextIsLower) {
                        out.append(UInt8(ascii: "_"))
                    }
                }
                out.append(byte + 32)
            }
        }
        literal("\" : ")
    }

    /// Where `finish` puts an object's entries while it writes them back in key order; kept for the next object.
    @exclusivity(unchecked) var scratch: [UInt8] = []

    static func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// ISO 8601 in UTC to the second, as Foundation's `.iso8601` strategy writes it: 2026-01-31T09:05:00Z.
    func date(_ date: Date) {
        let time = UTCTime(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)))
        out.append(UInt8(ascii: "\""))
        padded(time.year, 4)
        out.append(UInt8(ascii: "-"))
        padded(time.month, 2)
        out.append(UInt8(ascii: "-"))
        padded(time.day, 2)
        out.append(UInt8(ascii: "T"))
        padded(time.hour, 2)
        out.append(UInt8(ascii: ":"))
        padded(time.minute, 2)
        out.append(UInt8(ascii: ":"))
        padded(time.second, 2)
        literal("Z\"")
    }

    private func padded(_ value: Int, _ width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 1 && value < divisor {
            out.append(UInt8(ascii: "0"))
            divisor /= 10
        }
        integer(value)
    }
}
