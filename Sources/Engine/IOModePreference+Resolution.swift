import UblkABI

extension IOModePreference {
    /// The mode a new device runs in, or nil where the preference cannot be met (`zeroCopy` on a kernel or
    /// target without it; the caller refuses the create by name rather than quietly copying).
    public func resolved(offered features: Features, targetSupportsZeroCopy: Bool) -> IOMode? {
        let zeroCopyPossible = targetSupportsZeroCopy && features.contains(.autoBufferRegistration)
        switch self {
        case .copy:
            return .copy
        case .zeroCopy:
            return zeroCopyPossible ? .zeroCopy : nil
        case .auto:
            return Self.autoPrefersZeroCopy && zeroCopyPossible ? .zeroCopy : .copy
        }
    }

    /// Whether `auto` takes zero copy where the kernel grants it. Copy for now: see the benchmark notes.
    static let autoPrefersZeroCopy = false
}
