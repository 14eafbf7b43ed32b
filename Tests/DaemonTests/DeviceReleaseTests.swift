@testable import Daemon
import TestSupport
import DeviceModel
import HTTPAPI
import Logging
@testable import Store
import Testing

/// `ublkd release` (the package's removal) against the fake backend: kernel devices a stopped or crashed daemon
/// left go, definitions stay as stored, and the next start builds the devices again under the same ids.
@Suite("Releasing the kernel devices at package removal")
struct DeviceReleaseTests {
    let store: Store
    let backend = FakeBackend()
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        store = try Store.inMemory()
    }

    func started() -> DeviceManager {
        let manager = DeviceManager(store: store, backend: backend, logger: quiet, patience: .init(quiesce: .seconds(2)))
        manager.finishStartup(manager.reconcile(phases: StartupPhases(logger: quiet)))
        return manager
    }

    func releasing() -> DeviceRelease.Outcome {
        DeviceManager(store: store, backend: backend, logger: quiet).releaseKernelDevices()
    }

    func twoDevices(_ manager: DeviceManager) throws -> (file: UInt32, null: UInt32) {
        let file = try manager.create(CreateDeviceRequest(
            definition: DeviceDefinition(name: "db", target: .file(path: "/srv/db.img"), sizeBytes: 64 << 20),
            create: true)).id
        let null = try manager.create(CreateDeviceRequest(
            definition: DeviceDefinition(name: "scratch", target: .null, sizeBytes: 1 << 30))).id
        return (file, null)
    }

    @Test func handedOverDevicesLeaveTheKernelAndComeBackAtTheNextStart() throws {
        let first = started()
        let ids = try twoDevices(first)
        let stopped = try first.create(CreateDeviceRequest(
            definition: DeviceDefinition(name: "off", target: .null, sizeBytes: 1 << 20))).id
        _ = try first.stop(id: stopped)
        let before = try store.devices()
        first.handOver()
        #expect(backend.kernel[ids.file]?.state == .quiesced)

        let outcome = releasing()
        #expect(outcome.released == ["device \(ids.file) (db)", "device \(ids.null) (scratch)"])
        #expect(outcome.failed.isEmpty && outcome.absent == 1)
        #expect(backend.kernel.isEmpty, "no kernel device is left without its server")
        #expect(try store.devices() == before, "every definition stays as stored, desired state included")
        #expect(backend.files["/srv/db.img"] != nil, "the backing file stays")
        #expect(try store.events(deviceID: ids.file, limit: 1).first?.kind == "released")

        let second = started()
        for id in [ids.file, ids.null] {
            let view = try second.deviceView(id: id)
            #expect(view.state == "live")
            #expect(view.lastRecovery?.kind == "recreate", "built again under the same id")
        }
        #expect(try second.deviceView(id: stopped).state == "stopped")
    }

    @Test func devicesACrashedDaemonLeftAreReleasedToo() throws {
        let ids = try twoDevices(started())
        backend.crashDaemon()
        // 6.12 before it notices a dead server that held every tag: LIVE, no server.
        backend.state.withLock { $0.kernel[ids.null]?.state = .live }
        #expect(releasing().released.count == 2)
        #expect(backend.kernel.isEmpty)
    }

    @Test func aDeviceAnotherLiveProcessServesIsRefusedAndLeftAlone() throws {
        let manager = started()
        let ids = try twoDevices(manager)
        // This test process plays the running daemon: its devices have a live server that is not the releaser
        // (pid 1 here, as the lifecycle compares with its own pid).
        backend.state.withLock { state in
            for id in [ids.file, ids.null] { state.kernel[id]?.serverPID = 1 }
        }
        let outcome = releasing()
        #expect(outcome.released.isEmpty)
        #expect(outcome.failed.count == 2)
        #expect(outcome.failed.allSatisfy { $0.contains("another live process") })
        #expect(backend.kernel.count == 2 && backend.kernel.values.allSatisfy { $0.state == .live })
    }

    @Test func nothingStoredNothingReleased() throws {
        let outcome = releasing()
        #expect(outcome.released.isEmpty && outcome.failed.isEmpty && outcome.absent == 0)
        #expect(backend.steps.isEmpty)
    }
}
