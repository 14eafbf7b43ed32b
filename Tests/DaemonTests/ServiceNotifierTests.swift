@testable import Daemon
import Glibc
import HTTPAPI
import Logging
import TestSupport
import Testing

@Suite("ServiceNotifier: the readiness datagrams systemd reads")
struct ServiceNotifierTests {
    static let quiet = Logger(label: "ublkd.test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func readyReachesAPathSocket() throws {
        let receiver = try DatagramReceiver(address: DatagramReceiver.scratchPath())
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": receiver.address], logger: Self.quiet)
        #expect(notifier.ready(status: "2 devices (2 live); API on 127.0.0.1:7878") == .sent)
        #expect(receiver.receive() == "READY=1\nSTATUS=2 devices (2 live); API on 127.0.0.1:7878")
        #expect(receiver.receive() == nil, "one datagram per notification")
    }

    @Test func stoppingReachesAnAbstractSocket() throws {
        let name = "@ublkd-notify-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let receiver = try DatagramReceiver(address: name)
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": name], logger: Self.quiet)
        #expect(notifier.stopping(status: "signal 15") == .sent)
        #expect(receiver.receive() == "STOPPING=1\nSTATUS=signal 15")
    }

    /// The abstract name is its bytes after '@' and nothing more: a receiver bound to a longer or shorter name
    /// must not get the datagram.
    @Test func abstractNamesAreExact() throws {
        let name = "@ublkd-notify-exact-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let receiver = try DatagramReceiver(address: name)
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": name + "x"], logger: Self.quiet)
        #expect(notifier.notify(["READY=1"]) == .failed)
        #expect(receiver.receive() == nil)
    }

    @Test func aNewlineInTheStatusCannotAddAField() throws {
        let receiver = try DatagramReceiver(address: DatagramReceiver.scratchPath())
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": receiver.address], logger: Self.quiet)
        notifier.stopping(status: "bye\nREADY=1")
        #expect(receiver.receive() == "STOPPING=1\nSTATUS=bye READY=1")
    }

    @Test func withoutTheVariableNothingIsSent() {
        #expect(ServiceNotifier(environment: [:], logger: Self.quiet).ready(status: "x") == .notListening)
        #expect(ServiceNotifier(environment: ["NOTIFY_SOCKET": ""], logger: Self.quiet).ready(status: "x")
            == .notListening)
    }

    /// A lost notification must not stop the daemon: the call returns, and the operator finds a warning.
    @Test func aMissingListenerIsAWarningOnly() {
        let records = LogRecords()
        let logger = Logger(label: "ublkd.test", factory: { _ in records.handler })
        let notifier = ServiceNotifier(environment: ["NOTIFY_SOCKET": DatagramReceiver.scratchPath("nobody")],
                                       logger: logger)
        #expect(notifier.ready(status: "x") == .failed)
        let logged = records.all
        #expect(logged.count == 1)
        #expect(logged.first?.level == .warning)
        #expect(logged.first?.message.contains("nobody") == true)
    }

    @Test func addressesSystemdMayGiveThatUblkdCannotUse() {
        let notifier = ServiceNotifier(environment: [:], logger: Self.quiet)
        #expect(throws: ServiceNotifier.Failure.unsupportedAddress("vsock:2:1234")) {
            try notifier.send("READY=1", to: "vsock:2:1234")
        }
        #expect(throws: ServiceNotifier.Failure.unsupportedAddress("run/notify")) {
            try notifier.send("READY=1", to: "run/notify")
        }
        let long = "/" + String(repeating: "d", count: 120)
        #expect(throws: ServiceNotifier.Failure.addressTooLong(long)) { try notifier.send("READY=1", to: long) }
    }

    @Test func readyStatusCountsDevicesByState() {
        let kernel = HealthView.Kernel(available: true, release: nil, features: [], featureBits: nil, message: nil)
        var health = HealthView(status: "ok", version: "t", kernel: kernel, devices: ["live": 2, "stopped": 1],
                                unmanagedDevices: [], lastStart: nil)
        let listen = try! ListenAddress(parsing: "127.0.0.1:7878")
        #expect(DaemonRunner.readyStatus(health, listen: listen)
            == "3 devices (2 live, 1 stopped); API on 127.0.0.1:7878")
        health.devices = [:]
        health.kernel.available = false
        #expect(DaemonRunner.readyStatus(health, listen: listen)
            == "0 devices; API on 127.0.0.1:7878; ublk driver unavailable")
    }
}
