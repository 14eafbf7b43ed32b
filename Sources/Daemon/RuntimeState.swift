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

    /// The state without what it carries: what the API, /health and the metrics name it by. /health counts
    /// devices by it and /metrics writes a 0/1 line per kind for every device, on every poll: cases compare as
    /// integers, where their names would compare as strings.
    enum Kind: Int, CaseIterable, Sendable {
        case creating, live, quiesced, recovering, stopped, failed

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
    }

    var kind: Kind {
        switch self {
        case .creating: .creating
        case .live: .live
        case .quiesced: .quiesced
        case .recovering: .recovering
        case .stopped: .stopped
        case .failed: .failed
        }
    }

    var name: String { kind.name }

    var device: (any ServedDevice)? {
        if case .live(let device) = self { return device }
        return nil
    }
}
