/// A definition field that takes one of a few names (target, recovery, io_mode): one parser for every edge that
/// reads such a name (JSON, SQL, command-line flags), with one message when the name is not known.
public protocol DefinitionChoice: RawRepresentable, CaseIterable, Sendable, Hashable, Codable
where RawValue == String {
    /// The field's name on the wire, for messages.
    static var fieldName: String { get }
}

extension DefinitionChoice {
    public static func parse(_ text: String) throws(DefinitionError) -> Self {
        guard let value = Self(rawValue: text) else {
            throw DefinitionError("\(fieldName) must be one of \(names), not \"\(text)\"")
        }
        return value
    }

    /// The names, comma-separated, in declaration order.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
