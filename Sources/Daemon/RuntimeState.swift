import Engine

/// What is true of a stored device in this process right now. The stored definition says what should be.
enum RuntimeState: Sendable {
    /// A create is under way; the row exists with desired state `creating`.
    case creating
    /// Served by this process.
    case live(Device)
    /// The driver holds the device quiesced: I/O waits for a server.
    case quiesced
    /// User recovery is under way.
    case recovering
    /// No kernel device; the definition stays.
    case stopped
    /// The daemon could not bring it back; the reason is shown, and recover/start/delete may follow.
    case failed(String)

    var name: String {
        switch self {
        case .creating: "creating"
        case .live: "live"
        case .quiesced: "quiesced"
        case .recovering: "recovering"
        case .stopped: "stopped"
        case .failed: "failed"
        }
    }

    var device: Device? {
        if case .live(let device) = self { return device }
        return nil
    }
}
