/// When an NBD connection is down: when to try again, and when the requests that wait for it fail. Pure; the queue
/// thread's handler feeds it the clock and what happened.
///
/// The requests a lost connection held, and those that arrive meanwhile, wait (to be sent again on the next
/// connection) until `timeout` after the loss; past it they fail with EIO, and so does every new one, while the
/// attempts go on (so a server back after the timeout serves new I/O again).
struct NBDReconnection: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        case connected
        /// Down since `since`; I/O waits.
        case waiting(since: ContinuousClock.Instant)
        /// Down for longer than the timeout; I/O fails.
        case failing
    }

    let timeout: Duration
    private(set) var phase: Phase = .connected
    /// The pause before the next attempt: short at first (a server restarting is back in moments), doubling to a
    /// ceiling so that a server gone for good costs an attempt a second.
    private(set) var backoff: Duration = Self.firstBackoff

    static let firstBackoff: Duration = .milliseconds(50)
    static let maximumBackoff: Duration = .seconds(1)

    init(timeout: Duration) {
        self.timeout = timeout
    }

    var isConnected: Bool { phase == .connected }
    /// Requests must fail now rather than wait.
    var failsRequests: Bool { phase == .failing }

    /// The connection went down: try again at once.
    mutating func lost(at now: ContinuousClock.Instant) {
        if phase == .connected { phase = .waiting(since: now) }
        backoff = Self.firstBackoff
    }

    /// An attempt failed: how long to wait before the next one, never past the moment the waiting requests fail.
    mutating func attemptFailed(at now: ContinuousClock.Instant) -> Duration {
        let delay = backoff
        backoff = min(backoff * 2, Self.maximumBackoff)
        if case .waiting(let since) = phase {
            let left = since + timeout - now
            if left <= .zero { return .zero }
            return min(delay, left)
        }
        return delay
    }

    /// Whether the waiting requests must fail now (called on every timer and event while down).
    mutating func checkDeadline(at now: ContinuousClock.Instant) -> Bool {
        guard case .waiting(let since) = phase, now - since >= timeout else { return false }
        phase = .failing
        return true
    }

    mutating func connected() {
        phase = .connected
        backoff = Self.firstBackoff
    }
}
