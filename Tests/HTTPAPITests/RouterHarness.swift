import Foundation
import HTTPAPI
import Testing

/// A router over a fresh fake, and the few helpers every router test needs to talk to it.
struct RouterHarness {
    let service: FakeDeviceService
    let router: Router

    init(token: String? = nil, devices: [DeviceView] = Canned.devices) {
        service = FakeDeviceService(devices: devices)
        router = Router(service: service, token: token)
    }

    func send(_ method: String, _ path: String, query: [String: String] = [:], headers: [String: String] = [:],
              body: String? = nil, bodyTooLarge: Bool = false) -> HTTPResponse {
        router.handle(HTTPRequest(method: method, path: path, query: query, headers: headers,
                                  body: Array((body ?? "").utf8), bodyTooLarge: bodyTooLarge))
    }

    /// POST /devices with `body`; returns the response and what the service was asked to create, if anything.
    func create(_ body: String) -> (HTTPResponse, CreateDeviceRequest?) {
        let response = send("POST", "/devices", body: body)
        let created = service.calls.compactMap { call -> CreateDeviceRequest? in
            if case .create(let request) = call { return request }
            return nil
        }
        return (response, created.last)
    }
}

extension HTTPResponse {
    func json() throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(body))
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    var string: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    var number: Double? {
        if case .integer(let integer) = self { return Double(integer) }
        guard case .number(let number) = self else { return nil }
        return number
    }

    var bool: Bool? {
        guard case .bool(let bool) = self else { return nil }
        return bool
    }

    var array: [JSONValue]? {
        guard case .array(let array) = self else { return nil }
        return array
    }

    var keys: Set<String> {
        guard case .object(let object) = self else { return [] }
        return Set(object.keys)
    }

    /// Every object key anywhere in the value, for checks that no camelCase key leaks out.
    var allKeys: Set<String> {
        switch self {
        case .object(let object): object.reduce(into: Set(object.keys)) { $0.formUnion($1.value.allKeys) }
        case .array(let array): array.reduce(into: Set()) { $0.formUnion($1.allKeys) }
        default: []
        }
    }
}

/// Checks that `response` is the API's error shape, `{"error":{"code","message"}}`, with `code` and its status.
func expectError(_ response: HTTPResponse, _ code: APIError.Code, _ comment: Comment? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == code.status, comment, sourceLocation: sourceLocation)
    #expect(response.contentType == "application/json", comment, sourceLocation: sourceLocation)
    guard let json = try? response.json() else {
        Issue.record("error body is not JSON: \(response.bodyText)", sourceLocation: sourceLocation)
        return
    }
    #expect(json.keys == ["error"], comment, sourceLocation: sourceLocation)
    #expect(json["error"]?.keys == ["code", "message"], comment, sourceLocation: sourceLocation)
    #expect(json["error"]?["code"]?.string == code.rawValue, "\(response.bodyText)", sourceLocation: sourceLocation)
    #expect(json["error"]?["message"]?.string?.isEmpty == false, comment, sourceLocation: sourceLocation)
}

extension Router.Route: CustomTestStringConvertible {
    public var testDescription: String { "\(method) \(pattern)" }
}
