import Foundation
import HTTPAPI
import Testing

/// The few facts these tests need from api/openapi.yaml, read line by line: the spec's layout is fixed (two spaces
/// per level), and a YAML library is not worth a dependency for it.
struct OpenAPISpec {
    struct Operation: Hashable, CustomStringConvertible {
        let method: String
        let path: String
        var description: String { "\(method) \(path)" }
    }

    let lines: [Substring]

    static func load() throws -> OpenAPISpec {
        // Tests/HTTPAPITests/<this file> -> the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("api/openapi.yaml"), encoding: .utf8)
        return OpenAPISpec(lines: text.split(separator: "\n", omittingEmptySubsequences: false))
    }

    static func indent(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }

    /// The key of a `key:` or `key: value` line, unquoted.
    static func key(_ line: Substring) -> String? {
        let trimmed = line.drop { $0 == " " }
        guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix("-"), let colon = trimmed.firstIndex(of: ":") else {
            return nil
        }
        return trimmed[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
    }

    /// The lines below the line `header` (at `indent`), up to the next line at that indent or less.
    func block(_ header: String, indent: Int, in range: ArraySlice<Substring>? = nil) -> ArraySlice<Substring>? {
        let scope = range ?? lines[...]
        guard let start = scope.firstIndex(where: { Self.indent($0) == indent && Self.key($0) == header }) else {
            return nil
        }
        let body = scope[(start + 1)...]
        let end = body.firstIndex { !$0.allSatisfy(\.isWhitespace) && Self.indent($0) <= indent } ?? body.endIndex
        return body[..<end]
    }

    /// Every (method, path) under `paths:`; path-level `parameters` are not operations.
    var operations: [Operation] {
        guard let paths = block("paths", indent: 0) else { return [] }
        var operations: [Operation] = []
        var path: String?
        for line in paths {
            guard let key = Self.key(line) else { continue }
            switch Self.indent(line) {
            case 2: path = key
            case 4 where key != "parameters":
                if let path { operations.append(Operation(method: key.uppercased(), path: path)) }
            default: break
            }
        }
        return operations
    }

    /// The response status keys of one operation.
    func statuses(of operation: Operation) -> Set<Int> {
        guard let paths = block("paths", indent: 0), let path = block(operation.path, indent: 2, in: paths),
              let method = block(operation.method.lowercased(), indent: 4, in: path),
              let responses = block("responses", indent: 6, in: method)
        else { return [] }
        return Set(responses.filter { Self.indent($0) == 8 }.compactMap { Self.key($0).flatMap { Int($0) } })
    }

    /// The values of `components.schemas.ErrorCode.enum`, in block (`- x`) or flow (`[x, y]`) form.
    var errorCodes: [String] {
        guard let components = block("components", indent: 0),
              let schemas = block("schemas", indent: 2, in: components),
              let errorCode = block("ErrorCode", indent: 4, in: schemas),
              let start = errorCode.firstIndex(where: { Self.key($0) == "enum" })
        else { return [] }
        let header = errorCode[start]
        if let open = header.firstIndex(of: "["), let close = header.lastIndex(of: "]") {
            return header[header.index(after: open)..<close].split(separator: ",")
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"'")) }
        }
        return errorCode[(start + 1)...].prefix { Self.indent($0) > Self.indent(header) }
            .map { $0.drop { $0 == " " } }
            .filter { $0.hasPrefix("- ") }
            .map { $0.dropFirst(2).trimmingCharacters(in: CharacterSet(charactersIn: " \"'")) }
    }
}

@Suite("api/openapi.yaml and the router describe the same API")
struct OpenAPIContractTests {
    @Test func readerFindsTheSpecsSections() throws {
        let spec = try OpenAPISpec.load()
        // Guards the line reader itself: an empty parse would make the equality checks below vacuous.
        #expect(spec.operations.count >= 10)
        #expect(spec.errorCodes.count >= 12)
        #expect(spec.statuses(of: .init(method: "POST", path: "/devices")).contains(413))
    }

    @Test func pathsAndMethodsMatchTheRoutes() throws {
        let spec = try OpenAPISpec.load()
        let documented = spec.operations
        #expect(Set(documented).count == documented.count, "an operation is listed twice")
        let routed = Set(Router.routes.map { OpenAPISpec.Operation(method: $0.method, path: $0.pattern) })
        let onlyInSpec = Set(documented).subtracting(routed).map(\.description).sorted()
        let onlyRouted = routed.subtracting(documented).map(\.description).sorted()
        #expect(onlyInSpec.isEmpty, "documented but not routed: \(onlyInSpec)")
        #expect(onlyRouted.isEmpty, "routed but not documented: \(onlyRouted)")
    }

    @Test func successStatusOfEveryRouteIsDocumented() throws {
        let spec = try OpenAPISpec.load()
        for route in Router.routes {
            let operation = OpenAPISpec.Operation(method: route.method, path: route.pattern)
            let expected = RouterRouteTests.expectedStatus(route)
            #expect(spec.statuses(of: operation).contains(expected), "\(operation) should document \(expected)")
        }
    }

    @Test func errorCodesMatchTheErrorCodeSchema() throws {
        let documented = try OpenAPISpec.load().errorCodes
        #expect(Set(documented).count == documented.count, "an error code is listed twice")
        let coded = Set(APIError.Code.allCases.map(\.rawValue))
        #expect(Set(documented).subtracting(coded).isEmpty, "documented but not in APIError.Code")
        #expect(coded.subtracting(documented).isEmpty, "in APIError.Code but not documented")
    }

    /// Every route that reads an id or a body can fail with the router's own errors; the spec should say so.
    @Test func routerErrorsOfEveryRouteAreDocumented() throws {
        let spec = try OpenAPISpec.load()
        // The status page is public: it holds no data and asks for the token itself.
        for route in Router.routes where route.pattern != "/" {
            let statuses = spec.statuses(of: OpenAPISpec.Operation(method: route.method, path: route.pattern))
            #expect(statuses.contains(401), "\(route.method) \(route.pattern) should document 401")
            if route.pattern.contains("{id}") {
                #expect(statuses.contains(404), "\(route.method) \(route.pattern) should document 404")
            }
        }
    }
}
