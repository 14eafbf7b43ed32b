/// Why a device definition cannot be: one message that names the field, the same whether the definition came from
/// a request, the store or a command line. Each edge maps it once (HTTP 400, a store decoding error, a usage error).
public struct DefinitionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
