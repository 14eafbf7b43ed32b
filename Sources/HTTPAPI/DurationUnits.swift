/// The units logs, metrics and JSON speak, from one conversion of `Duration`'s seconds + attoseconds.
extension Duration {
    public var nanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    public var milliseconds: Double { Double(nanoseconds) / 1_000_000 }

    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
