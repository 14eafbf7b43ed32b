/// What is true of a stored device in this process right now. The stored record says what should be.
enum RuntimeState: Sendable {
    /// A create is under way; the row exists with desired state `creating`.
    case creating
    /// Served by this process.
    case live(any ServedDevice)
    /// The driver holds the device quiesced: I/O waits for a server (after a hand-over).
    case quiesced
    /// The lifecycle is working on it (recovery, rebuild, stop, delete).
    case recovering
    /// No kernel device; the definition stays.
    case stopped
    /// The daemon could not bring it where it should be; the reason is shown, and recover/start/delete may follow.
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

    var device: (any ServedDevice)? {
        if case .live(let device) = self { return device }
        return nil
    }
}
