import Foundation

/// Any JSON value, so request bodies can be checked key by key (unknown fields, wrong types) before use.
public enum JSONValue: Equatable, Sendable, Decodable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits 64 bits: kept exact (a Double would round sizes).
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int64.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses a request body that must be one JSON object.
    public static func object(from body: [UInt8]) throws(APIError) -> [String: JSONValue] {
        // Foundation's decoder accepts trailing commas; RFC 8259 does not, and neither does this API.
        if hasTrailingComma(body) { throw APIError(.invalidJSON, "the body is not valid JSON (trailing comma)") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw APIError(.invalidJSON, "the body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw APIError(.invalidJSON, "the body must be a JSON object")
        }
        return object
    }

    /// A comma followed (after white space) by `}` or `]`, outside strings.
    static func hasTrailingComma(_ body: [UInt8]) -> Bool {
        var inString = false, escaped = false, afterComma = false
        for byte in body {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; afterComma = false
            case UInt8(ascii: ","): afterComma = true
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if afterComma { return true }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): break
            default: afterComma = false
            }
        }
        return false
    }
}
