import DeviceModel
import Foundation

/// A view polled often enough that its JSON is written field by field, straight into bytes, without `Encodable`'s
/// containers (which cost more than the poll itself). Its one list of fields, `writeFields`, serves both writers:
/// `encode(to:)` (what Foundation, tests and any other encoder see) hands each field to a keyed container, and
/// `JSONBodyEncoder` writes them in place. Keys are snake_case and listed in ascending order, the order the API's
/// JSON sorts them in (a test holds the bytes equal to Foundation's).
public protocol JSONFields: Encodable {
    func writeFields<Writer: FieldWriter>(_ writer: inout Writer) throws
}

/// Where `JSONFields.writeFields` puts each field. An optional that is nil is left out, as `encodeIfPresent` does.
public protocol FieldWriter {
    mutating func write(_ key: StaticString, _ value: Bool) throws
    mutating func write(_ key: StaticString, _ value: Int64) throws
    mutating func write(_ key: StaticString, _ value: UInt64) throws
    mutating func write(_ key: StaticString, _ value: Double) throws
    mutating func write(_ key: StaticString, _ value: String?) throws
    mutating func write(_ key: StaticString, _ value: Date?) throws
    mutating func write(_ key: StaticString, _ value: [String]) throws
    mutating func write(_ key: StaticString, _ value: [UInt32]) throws
    /// Written with the dictionary's keys as they are, in ascending order.
    mutating func write(_ key: StaticString, _ value: [String: Int]) throws
    mutating func write<T: JSONFields>(_ key: StaticString, _ value: T?) throws
    mutating func write<T: JSONFields>(_ key: StaticString, _ value: [T]) throws
}

extension JSONFields {
    /// The `Encodable` side: each field through a keyed container.
    public func encodeFields(to encoder: any Encoder) throws {
        var writer = KeyedFieldWriter(container: encoder.container(keyedBy: FieldKey.self))
        try writeFields(&writer)
    }
}

struct FieldKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init(_ key: StaticString) { stringValue = key.description }
    init?(intValue: Int) { nil }
}

struct KeyedFieldWriter: FieldWriter {
    var container: KeyedEncodingContainer<FieldKey>

    mutating func write(_ key: StaticString, _ value: Bool) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: Int64) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: UInt64) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: Double) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: String?) throws {
        try container.encodeIfPresent(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: Date?) throws {
        try container.encodeIfPresent(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: [String]) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: [UInt32]) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write(_ key: StaticString, _ value: [String: Int]) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
    mutating func write<T: JSONFields>(_ key: StaticString, _ value: T?) throws {
        try container.encodeIfPresent(value, forKey: FieldKey(key))
    }
    mutating func write<T: JSONFields>(_ key: StaticString, _ value: [T]) throws {
        try container.encode(value, forKey: FieldKey(key))
    }
}

/// The direct side: an object at `depth`, its fields written in the order they come.
struct DirectFieldWriter: FieldWriter {
    let writer: JSONBodyWriter
    let depth: Int
    private var count = 0

    init(writer: JSONBodyWriter, depth: Int) {
        self.writer = writer
        self.depth = depth
    }

    static func object<T: JSONFields>(_ value: T, _ writer: JSONBodyWriter, depth: Int) throws {
        var fields = DirectFieldWriter(writer: writer, depth: depth)
        writer.out.append(UInt8(ascii: "{"))
        try value.writeFields(&fields)
        writer.out.append(UInt8(ascii: "\n"))
        if fields.count == 0 { writer.out.append(UInt8(ascii: "\n")) }
        writer.indent(depth)
        writer.out.append(UInt8(ascii: "}"))
    }

    /// `,\n    "key" : ` followed by up to `valueBytes` bytes that `value` writes (returning how many), written in
    /// place at the end of the body: one append per field is most of what a polled view's encoding costs (the keys
    /// are literals already in snake_case).
    private mutating func field(_ key: StaticString, valueBytes: Int = 0,
                                _ value: (UnsafeMutablePointer<UInt8>) -> Int = { _ in 0 }) {
        let first = count == 0
        count += 1
        let indent = (depth + 1) * 2
        // SAFETY: `length` bounds every byte written below: separator, indent, quoted key, " : " and the value's
        // own `valueBytes`.
        let length = (first ? 1 : 2) + indent + key.utf8CodeUnitCount + 5 + valueBytes
        writer.out.appendInPlace(maxBytes: length) { base in
            var at = 0
            if !first { base[at] = UInt8(ascii: ","); at += 1 }
            base[at] = UInt8(ascii: "\n"); at += 1
            (base + at).initialize(repeating: UInt8(ascii: " "), count: indent)
            at += indent
            base[at] = UInt8(ascii: "\""); at += 1
            (base + at).initialize(from: key.utf8Start, count: key.utf8CodeUnitCount)
            at += key.utf8CodeUnitCount
            for byte in "\" : ".utf8 { base[at] = byte; at += 1 }
            return at + value(base + at)
        }
    }

    /// An array of `count` elements at the next depth, each written by `element`.
    private func array(_ count: Int, _ element: (Int) throws -> Void) rethrows {
        writer.out.append(UInt8(ascii: "["))
        for index in 0..<count {
            if index > 0 { writer.out.append(UInt8(ascii: ",")) }
            writer.out.append(UInt8(ascii: "\n"))
            writer.indent(depth + 2)
            try element(index)
        }
        writer.out.append(UInt8(ascii: "\n"))
        if count == 0 { writer.out.append(UInt8(ascii: "\n")) }
        writer.indent(depth + 1)
        writer.out.append(UInt8(ascii: "]"))
    }

    mutating func write(_ key: StaticString, _ value: Bool) throws {
        let text: StaticString = value ? "true" : "false"
        field(key, valueBytes: text.utf8CodeUnitCount) { target in
            target.initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
            return text.utf8CodeUnitCount
        }
    }
    mutating func write(_ key: StaticString, _ value: Int64) throws {
        field(key, valueBytes: TextBytes.maxDecimalBytes) { TextBytes.decimal(value, at: $0) }
    }
    mutating func write(_ key: StaticString, _ value: UInt64) throws {
        field(key, valueBytes: TextBytes.maxDecimalBytes) { TextBytes.decimal(value, at: $0) }
    }
    mutating func write(_ key: StaticString, _ value: Double) throws {
        field(key)
        try writer.double(value)
    }
    mutating func write(_ key: StaticString, _ value: String?) throws {
        guard let value else { return }
        field(key)
        writer.string(value)
    }
    mutating func write(_ key: StaticString, _ value: Date?) throws {
        guard let value else { return }
        field(key)
        writer.date(value)
    }
    mutating func write(_ key: StaticString, _ value: [String]) throws {
        field(key)
        array(value.count) { writer.string(value[$0]) }
    }
    mutating func write(_ key: StaticString, _ value: [UInt32]) throws {
        field(key)
        array(value.count) { writer.integer(value[$0]) }
    }
    mutating func write(_ key: StaticString, _ value: [String: Int]) throws {
        field(key)
        let entries = value.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        writer.out.append(UInt8(ascii: "{"))
        for (index, entry) in entries.enumerated() {
            if index > 0 { writer.out.append(UInt8(ascii: ",")) }
            writer.out.append(UInt8(ascii: "\n"))
            writer.indent(depth + 2)
            writer.key(entry.key, converted: false)
            writer.integer(entry.value)
        }
        writer.out.append(UInt8(ascii: "\n"))
        if entries.isEmpty { writer.out.append(UInt8(ascii: "\n")) }
        writer.indent(depth + 1)
        writer.out.append(UInt8(ascii: "}"))
    }
    mutating func write<T: JSONFields>(_ key: StaticString, _ value: T?) throws {
        guard let value else { return }
        field(key)
        try Self.object(value, writer, depth: depth + 1)
    }
    mutating func write<T: JSONFields>(_ key: StaticString, _ value: [T]) throws {
        field(key)
        try array(value.count) { try Self.object(value[$0], writer, depth: depth + 2) }
    }
}
