import DeviceModel

/// The body of `PATCH /devices/{id}`: the new size, and consent to shrink (which cuts off data at the end).
public struct ResizeDeviceRequest: Sendable, Equatable {
    public var size: UInt64
    public var allowShrink: Bool

    public init(size: UInt64, allowShrink: Bool = false) {
        self.size = size
        self.allowShrink = allowShrink
    }

    public init(json object: [String: JSONValue]) throws(APIError) {
        let unknown = Set(object.keys).subtracting(["size", "allow_shrink"])
        if !unknown.isEmpty {
            throw .validation("unknown field(s): \(unknown.sorted().joined(separator: ", "))")
        }
        let fields = FieldReader(object)
        guard let size = try fields.size("size") else { throw .validation("\"size\" is required") }
        guard size > 0 else { throw .validation("size must be greater than zero") }
        guard size <= DeviceDefinition.Limits.maxSizeBytes else {
            throw .validation("size must be at most \(DeviceDefinition.Limits.maxSizeBytes) bytes (1 EiB)")
        }
        self.size = size
        allowShrink = try fields.bool("allow_shrink") ?? false
    }
}
