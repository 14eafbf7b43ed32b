import Synchronization

/// A network target's connections as the daemon sees them: written by the queue threads, read by the API and the
/// daemon's event watcher with relaxed loads; never a lock.
public final class ConnectionCounters: Sendable {
    let state = Atomic<Int>(ConnectionStatus.State.connected.rawValue)
    let disconnects = Atomic<UInt64>(0)
    let reconnects = Atomic<UInt64>(0)

    init() {}

    var snapshot: ConnectionStatus {
        ConnectionStatus(state: ConnectionStatus.State(rawValue: state.load(ordering: .relaxed)) ?? .connected,
                         disconnects: disconnects.load(ordering: .relaxed),
                         reconnects: reconnects.load(ordering: .relaxed))
    }
}

public struct ConnectionStatus: Sendable, Equatable {
    public enum State: Int, Sendable, Comparable {
        case connected = 0
        /// The connection is down; I/O waits for it.
        case reconnecting = 1
        /// Down for longer than the reconnect timeout; I/O fails with EIO until it is back.
        case failing = 2

        public var name: String {
            switch self {
            case .connected: "connected"
            case .reconnecting: "reconnecting"
            case .failing: "failing"
            }
        }

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var state: State
    public var disconnects: UInt64
    public var reconnects: UInt64

    public init(state: State, disconnects: UInt64, reconnects: UInt64) {
        self.state = state
        self.disconnects = disconnects
        self.reconnects = reconnects
    }

    /// Several connections (one per queue) as one: the worst state, the counts summed.
    public static func combined(_ all: [ConnectionStatus]) -> ConnectionStatus? {
        guard let first = all.first else { return nil }
        return all.dropFirst().reduce(first) { sum, next in
            ConnectionStatus(state: max(sum.state, next.state), disconnects: sum.disconnects + next.disconnects,
                             reconnects: sum.reconnects + next.reconnects)
        }
    }
}
