import HTTPAPI
import Testing

@Suite("Router: every error the service throws reaches the client with its code, status and message")
struct ServiceErrorTests {
    /// Written out rather than read from `Code.status`, so a wrong mapping there fails here.
    static let statuses: [APIError.Code: Int] = [
        .invalidJSON: 400, .validationFailed: 400, .unauthorized: 401, .pathNotAllowed: 403, .notFound: 404,
        .methodNotAllowed: 405, .conflict: 409, .payloadTooLarge: 413, .backingStoreError: 422,
        .featureUnavailable: 422, .internal: 500, .storeError: 500, .kernelUnavailable: 503,
    ]

    static func request(for operation: FakeDeviceService.Operation) -> (method: String, path: String, body: String?) {
        switch operation {
        case .create: ("POST", "/devices", #"{"name": "d", "target": "memory", "size": 4096}"#)
        case .device: ("GET", "/devices/0", nil)
        case .resize: ("PATCH", "/devices/0", #"{"size": "1GiB"}"#)
        case .stop: ("POST", "/devices/0/stop", nil)
        case .start: ("POST", "/devices/0/start", nil)
        case .recover: ("POST", "/devices/0/recover", nil)
        case .delete: ("DELETE", "/devices/0", nil)
        case .statistics: ("GET", "/devices/0/stats", nil)
        case .events: ("GET", "/devices/0/events", nil)
        }
    }

    @Test func everyCodeHasTheDocumentedStatus() {
        #expect(Set(APIError.Code.allCases) == Set(Self.statuses.keys))
        for code in APIError.Code.allCases {
            #expect(code.status == Self.statuses[code], "\(code.rawValue)")
        }
    }

    @Test("thrown by the service", arguments: FakeDeviceService.Operation.allCases, APIError.Code.allCases)
    func serviceErrorReachesTheClient(_ operation: FakeDeviceService.Operation, _ code: APIError.Code) throws {
        let harness = RouterHarness()
        let message = "\(operation.rawValue) failed: \(code.rawValue) \"quoted\" / é"
        harness.service.fail(operation, with: APIError(code, message))
        let (method, path, body) = Self.request(for: operation)

        let response = harness.send(method, path, body: body)

        #expect(response.status == Self.statuses[code])
        expectError(response, code)
        // The message survives JSON escaping untouched.
        #expect(try response.json()["error"]?["message"]?.string == message)
        #expect(harness.service.calls.count == 1)
    }

    @Test func errorResponseIsTheDocumentedShape() throws {
        let response = Router.errorResponse(APIError(.conflict, "device 3 is busy"))
        #expect(response.status == 409)
        #expect(response.contentType == "application/json")
        #expect(response.bodyText.hasSuffix("\n"))
        let json = try response.json()
        let detail: JSONValue = .object(["code": .string("conflict"), "message": .string("device 3 is busy")])
        #expect(json == .object(["error": detail]))
    }
}
