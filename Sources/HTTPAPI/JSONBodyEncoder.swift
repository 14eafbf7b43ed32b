import Foundation

/// The API's JSON encoder: what Foundation's `JSONEncoder` writes with the API's options (pretty-printed, keys
/// sorted and converted to snake_case, ISO 8601 dates, slashes unescaped), byte for byte (a test holds the two to
/// it), written straight into one byte array. Foundation builds a tree of boxed values and formats it afterwards,
/// which cost more than libmicrohttpd's own handling of a request: a dashboard's poll of `/stats` should not.
///
/// Objects are written entry by entry as the `Encodable` conformances produce them, then put in key order once
/// finished. That needs each nested value to be finished before its parent goes on, which every conformance
/// written as `encode(_:forKey:)` calls satisfies; one that asks for a nested container or a super encoder is
/// handed to Foundation instead.
public enum JSONBodyEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONBodyWriter()
        try writer.value(value, JSONValueEncoder(writer: writer, depth: 0))
        guard !writer.needsFoundation else { return Array(try foundationEncoder().encode(value)) }
        return writer.out
    }

    /// A polled view, written field by field (see `JSONFields`).
    public static func encode<T: JSONFields>(_ value: T) throws -> [UInt8] {
        let writer = JSONBodyWriter()
        try DirectFieldWriter.object(value, writer, depth: 0)
        return writer.out
    }

    /// `value` as it reads nested `depth` levels deep in a larger document (its lines indented to match); nil for a
    /// value only Foundation can write.
    static func encode<T: Encodable>(_ value: T, depth: Int) throws -> [UInt8]? {
        let writer = JSONBodyWriter()
        try writer.value(value, JSONValueEncoder(writer: writer, depth: depth))
        return writer.needsFoundation ? nil : writer.out
    }

    /// Foundation's encoder with the same options: the fallback, and the reference the tests compare with.
    public static func foundationEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

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
        var magnitude = UInt64(value.magnitude)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 24 bytes: a sign and 20 digits at most
        var start = 24
        withUnsafeMutableBytes(of: &digits) { buffer in
            // Written from the end, then appended in one go.
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
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
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        out.append(UInt8(ascii: "\""))
        padded(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        padded(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        padded(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        padded(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        padded(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        padded(Int(parts.tm_sec), 2)
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

/// The encoder of one value at `depth`: an object, an array or a single value.
final class JSONValueEncoder: Encoder {
    let writer: JSONBodyWriter
    let depth: Int
    /// A dictionary's keys are written as they are.
    var keepsKeys = false
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private enum Shape {
        case none
        /// Where the object's entries start in `out`, and each entry's bounds: `"key" : value`.
        case object(start: Int, entries: [(start: Int, keyEnd: Int, end: Int)])
        case array(count: Int)
        case single
    }

    // SAFETY: as JSONBodyWriter.out: one thread, no access held across a call.
    @exclusivity(unchecked) private var shape = Shape.none

    init(writer: JSONBodyWriter, depth: Int) {
        self.writer = writer
        self.depth = depth
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A second call (a view writing its definition's fields, then its own) adds to the same object.
        if case .none = shape { shape = .object(start: writer.out.count, entries: []) }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .none = shape {
            shape = .array(count: 0)
            writer.out.append(UInt8(ascii: "["))
        }
        return UnkeyedContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        shape = .single
        return SingleContainer(encoder: self)
    }

    /// Starts an entry: `"key" : `; `endEntry` closes it once its value is written.
    func beginEntry(_ key: String) -> (start: Int, keyEnd: Int) {
        let start = writer.out.count
        writer.key(key, converted: !keepsKeys)
        return (start, writer.out.count - 4)
    }

    func endEntry(_ begun: (start: Int, keyEnd: Int)) {
        guard case .object(let start, var entries) = shape else { return }
        shape = .none  // the array is uniquely referenced while it grows
        entries.append((begun.start, begun.keyEnd, writer.out.count))
        shape = .object(start: start, entries: entries)
    }

    /// Before an array element.
    func nextElement() {
        guard case .array(let count) = shape else { return }
        if count > 0 { writer.out.append(UInt8(ascii: ",")) }
        writer.out.append(UInt8(ascii: "\n"))
        writer.indent(depth + 1)
        shape = .array(count: count + 1)
    }

    /// Elements written so far, for an array.
    var elements: Int {
        if case .array(let count) = shape { return count }
        return 0
    }

    /// An encoder for a nested value.
    func child() -> JSONValueEncoder { JSONValueEncoder(writer: writer, depth: depth + 1) }

    /// Closes what this encoder wrote: an object is put in key order with its separators, an array closed.
    func finish() {
        switch shape {
        case .none:
            // Foundation writes an empty object for a value that encoded nothing.
            writer.literal("{\n\n")
            writer.indent(depth)
            writer.out.append(UInt8(ascii: "}"))
        case .single:
            break
        case .array(let count):
            writer.out.append(UInt8(ascii: "\n"))
            if count == 0 { writer.out.append(UInt8(ascii: "\n")) }
            writer.indent(depth)
            writer.out.append(UInt8(ascii: "]"))
        case .object(let start, let entries):
            writer.scratch.removeAll(keepingCapacity: true)
            writer.scratch.append(contentsOf: writer.out[start...])
            writer.out.removeSubrange(start...)
            let sorted = writer.scratch.withUnsafeBufferPointer { written in
                entries.sorted { a, b in
                    let left = UnsafeBufferPointer(rebasing: written[(a.start + 1 - start)..<(a.keyEnd - start)])
                    let right = UnsafeBufferPointer(rebasing: written[(b.start + 1 - start)..<(b.keyEnd - start)])
                    let common = memcmp(left.baseAddress!, right.baseAddress!, min(left.count, right.count))
                    return common != 0 ? common < 0 : left.count < right.count
                }
            }
            writer.out.append(UInt8(ascii: "{"))
            writer.scratch.withUnsafeBufferPointer { written in
                for (index, entry) in sorted.enumerated() {
                    writer.out.append(UInt8(ascii: "\n"))
                    writer.indent(depth + 1)
                    writer.out.append(contentsOf: written[(entry.start - start)..<(entry.end - start)])
                    if index < sorted.count - 1 { writer.out.append(UInt8(ascii: ",")) }
                }
            }
            writer.out.append(UInt8(ascii: "\n"))
            if sorted.isEmpty { writer.out.append(UInt8(ascii: "\n")) }
            writer.indent(depth)
            writer.out.append(UInt8(ascii: "}"))
        }
    }

    /// A scalar or nested value, wherever it sits.
    func write<T: Encodable>(_ value: T) throws {
        try writer.value(value, child())
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONValueEncoder
    var codingPath: [any CodingKey] { [] }
    private var writer: JSONBodyWriter { encoder.writer }

    init(encoder: JSONValueEncoder) { self.encoder = encoder }

    private func entry(_ key: Key, _ body: () throws -> Void) rethrows {
        let begun = encoder.beginEntry(key.stringValue)
        try body()
        encoder.endEntry(begun)
    }

    mutating func encodeNil(forKey key: Key) throws { entry(key) { writer.literal("null") } }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        entry(key) { writer.literal(value ? "true" : "false") }
    }
    mutating func encode(_ value: String, forKey key: Key) throws { entry(key) { writer.string(value) } }
    mutating func encode(_ value: Double, forKey key: Key) throws { try entry(key) { try writer.double(value) } }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try entry(key) { try writer.double(Double(value)) }
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: Int8, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: Int16, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: Int32, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: Int64, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: UInt, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { entry(key) { writer.integer(value) } }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try entry(key) { try encoder.write(value) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        writer.needsFoundation = true
        return JSONValueEncoder(writer: JSONBodyWriter(), depth: 0).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writer.needsFoundation = true
        return JSONValueEncoder(writer: JSONBodyWriter(), depth: 0).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.needsFoundation = true
        return JSONValueEncoder(writer: JSONBodyWriter(), depth: 0)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder() }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: JSONValueEncoder
    var codingPath: [any CodingKey] { [] }
    var count: Int { encoder.elements }
    private var writer: JSONBodyWriter { encoder.writer }

    init(encoder: JSONValueEncoder) { self.encoder = encoder }

    private func element(_ body: () throws -> Void) rethrows {
        encoder.nextElement()
        try body()
    }

    mutating func encodeNil() throws { element { writer.literal("null") } }
    mutating func encode(_ value: Bool) throws { element { writer.literal(value ? "true" : "false") } }
    mutating func encode(_ value: String) throws { element { writer.string(value) } }
    mutating func encode(_ value: Double) throws { try element { try writer.double(value) } }
    mutating func encode(_ value: Float) throws { try element { try writer.double(Double(value)) } }
    mutating func encode(_ value: Int) throws { element { writer.integer(value) } }
    mutating func encode(_ value: Int8) throws { element { writer.integer(value) } }
    mutating func encode(_ value: Int16) throws { element { writer.integer(value) } }
    mutating func encode(_ value: Int32) throws { element { writer.integer(value) } }
    mutating func encode(_ value: Int64) throws { element { writer.integer(value) } }
    mutating func encode(_ value: UInt) throws { element { writer.integer(value) } }
    mutating func encode(_ value: UInt8) throws { element { writer.integer(value) } }
    mutating func encode(_ value: UInt16) throws { element { writer.integer(value) } }
    mutating func encode(_ value: UInt32) throws { element { writer.integer(value) } }
    mutating func encode(_ value: UInt64) throws { element { writer.integer(value) } }
    mutating func encode<T: Encodable>(_ value: T) throws { try element { try encoder.write(value) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        writer.needsFoundation = true
        return JSONValueEncoder(writer: JSONBodyWriter(), depth: 0).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        writer.needsFoundation = true
        return JSONValueEncoder(writer: JSONBodyWriter(), depth: 0).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        writer.needsFoundation = true
        return JSONValueEncoder(writer: JSONBodyWriter(), depth: 0)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: JSONValueEncoder
    var codingPath: [any CodingKey] { [] }
    private var writer: JSONBodyWriter { encoder.writer }

    init(encoder: JSONValueEncoder) { self.encoder = encoder }

    mutating func encodeNil() throws { writer.literal("null") }
    mutating func encode(_ value: Bool) throws { writer.literal(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { writer.string(value) }
    mutating func encode(_ value: Double) throws { try writer.double(value) }
    mutating func encode(_ value: Float) throws { try writer.double(Double(value)) }
    mutating func encode(_ value: Int) throws { writer.integer(value) }
    mutating func encode(_ value: Int8) throws { writer.integer(value) }
    mutating func encode(_ value: Int16) throws { writer.integer(value) }
    mutating func encode(_ value: Int32) throws { writer.integer(value) }
    mutating func encode(_ value: Int64) throws { writer.integer(value) }
    mutating func encode(_ value: UInt) throws { writer.integer(value) }
    mutating func encode(_ value: UInt8) throws { writer.integer(value) }
    mutating func encode(_ value: UInt16) throws { writer.integer(value) }
    mutating func encode(_ value: UInt32) throws { writer.integer(value) }
    mutating func encode(_ value: UInt64) throws { writer.integer(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        // A value that wraps another (an enum with a raw value): the inner one takes this place.
        if T.self == Date.self {
            // SAFETY: T is Date, checked just above.
            writer.date(unsafeBitCast(value, to: Date.self))
            return
        }
        let inner = encoder.sameDepth()
        try value.encode(to: inner)
        inner.finish()
    }
}

extension JSONValueEncoder {
    /// A fresh encoder at this depth, for a single value that encodes another in its place.
    func sameDepth() -> JSONValueEncoder { JSONValueEncoder(writer: writer, depth: depth) }
}

/// Dictionaries with String keys, whose keys Foundation writes unconverted.
protocol StringKeyedDictionary {}
extension Dictionary: StringKeyedDictionary where Key == String {}
