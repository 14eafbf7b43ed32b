/// The pieces of the Prometheus text format (0.0.4) that the families written by hand share (`DeviceFamilies`,
/// `RequestTallies`).
enum PrometheusText {
    /// A family's `# HELP` and `# TYPE` lines.
    static func header(_ name: String, _ type: String, _ help: String, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "# HELP ".utf8)
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: help.utf8)
        buffer.append(contentsOf: "\n# TYPE ".utf8)
        buffer.append(contentsOf: name.utf8)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: type.utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// A label value as the format wants it: backslash, double quote and line feed escaped.
    static func appendLabelValue(_ text: String, to buffer: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\""): buffer.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\n"): buffer.append(contentsOf: #"\n"#.utf8)
            default: buffer.append(byte)
            }
        }
    }
}
