@testable import Engine
import Testing

@Suite("NBD reconnection: backoff, and the deadline after which waiting requests fail")
struct NBDReconnectionTests {
    let start = ContinuousClock.now

    @Test func attemptsBackOffToACeilingAndNeverPastTheDeadline() {
        var policy = NBDReconnection(timeout: .seconds(30))
        policy.lost(at: start)
        #expect(!policy.isConnected && !policy.failsRequests)
        var delays: [Duration] = []
        for _ in 0..<8 { delays.append(policy.attemptFailed(at: start)) }
        #expect(delays == [.milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400),
                           .milliseconds(800), .seconds(1), .seconds(1), .seconds(1)])
        var late = NBDReconnection(timeout: .seconds(2))
        late.lost(at: start)
        for _ in 0..<6 { _ = late.attemptFailed(at: start) }
        let last = late.attemptFailed(at: start + .milliseconds(1900))
        #expect(last == .milliseconds(100), "not past the deadline")
    }

    @Test func theDeadlineTurnsWaitingIntoFailingUntilConnected() {
        var policy = NBDReconnection(timeout: .seconds(5))
        policy.lost(at: start)
        let early = policy.checkDeadline(at: start + .seconds(4))
        let due = policy.checkDeadline(at: start + .seconds(5))
        #expect(!early && due)
        #expect(policy.failsRequests)
        let again = policy.checkDeadline(at: start + .seconds(6))
        #expect(!again, "once")
        policy.connected()
        #expect(policy.isConnected && !policy.failsRequests)
        // A second loss starts a new wait, and the backoff starts short again.
        policy.lost(at: start + .seconds(10))
        let first = policy.attemptFailed(at: start + .seconds(10))
        #expect(first == .milliseconds(50))
        let notYet = policy.checkDeadline(at: start + .seconds(14))
        #expect(!notYet)
    }
}
