/// Every error the API answers with: an HTTP status and a stable snake_case code (listed in api/openapi.yaml),
/// plus a message for people. Mapped to JSON once, at the router's edge.
public struct APIError: Error, Equatable, Sendable {
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case validationFailed = "validation_failed"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case conflict
        case kernelUnavailable = "kernel_unavailable"
        case backingStoreError = "backing_store_error"
        case payloadTooLarge = "payload_too_large"
        case unauthorized
        case pathNotAllowed = "path_not_allowed"
        case featureUnavailable = "feature_unavailable"
        /// The state store cannot be read or written; the daemon's log has the detail.
        case storeError = "store_error"
        case `internal`

        public var status: Int {
            switch self {
            case .invalidJSON, .validationFailed: 400
            case .unauthorized: 401
            case .pathNotAllowed: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .conflict: 409
            case .payloadTooLarge: 413
            case .backingStoreError, .featureUnavailable: 422
            case .internal, .storeError: 500
            case .kernelUnavailable: 503
            }
        }
    }

    public static func validation(_ message: String) -> APIError { APIError(.validationFailed, message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, message) }
}
