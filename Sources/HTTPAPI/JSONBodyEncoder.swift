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

    /// Foundation's encoder with the same options: the fallback, and the reference the tests compare with.
    public static func foundationEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
