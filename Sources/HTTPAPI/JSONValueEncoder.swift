import Foundation

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
