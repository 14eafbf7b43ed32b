@testable import Daemon
import TestSupport
import DeviceModel
import Dispatch
import Foundation
import HTTPAPI
import Logging
@testable import Store
import Testing

/// The daemon's operations run by the lifecycle interpreter against a fake backend and a real (in-memory) store:
/// each operation failing at each step, and the daemon "killed" at each step and started again, after which the
/// store and the kernel must agree. The kernel's own behaviour is the VM tests' business.
@Suite("Device operations: failing or cut short at every step, the store and the kernel agree afterwards")
struct DeviceManagerTests {
    let store: Store
    let backend = FakeBackend()

    init() throws {
        store = try Store.inMemory()
    }

    func manager(quiesceTimeout: Duration = .seconds(2), startupLimit: Duration = .seconds(90)) throws
        -> DeviceManager
    {
        let manager = DeviceManager(store: store, backend: backend,
                                    logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                    patience: .init(quiesce: quiesceTimeout, startup: startupLimit))
        manager.finishStartup(manager.reconcile(phases: StartupPhases(logger: manager.logger)))
        return manager
    }

    static func fileRequest(_ name: String, path: String = "/srv/disk.img", create: Bool = true) -> CreateDeviceRequest {
        CreateDeviceRequest(definition: DeviceDefinition(name: name, target: .file(path: path), sizeBytes: 64 << 20),
                            create: create)
    }

    static let nullRequest = CreateDeviceRequest(definition: DeviceDefinition(name: "n", target: .null,
                                                                              sizeBytes: 1 << 30))

    /// Store and kernel agree: every row running (live, its kernel device served, at the stored size) or stopped
    /// (no kernel device); no row left creating or deleting; no kernel device and no made file without a row (but
    /// the `kept` files of deleted devices: a delete leaves the backing file).
    func expectAgreement(_ manager: DeviceManager, kept: Set<String> = [],
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let records = try store.devices()
        let kernel = backend.kernel
        for record in records {
            let state = try manager.deviceView(id: record.id).state
            switch record.desiredState {
            case .running:
                #expect(state == "live", "device \(record.id)", sourceLocation: sourceLocation)
                #expect(kernel[record.id]?.state == .live && kernel[record.id]?.serverAlive == true,
                        sourceLocation: sourceLocation)
                #expect(kernel[record.id]?.sizeBytes == record.definition.sizeBytes, sourceLocation: sourceLocation)
            case .stopped:
                #expect(state == "stopped", sourceLocation: sourceLocation)
                #expect(kernel[record.id] == nil, sourceLocation: sourceLocation)
            case .creating, .deleting:
                Issue.record("device \(record.id) left \(record.desiredState.rawValue)", sourceLocation: sourceLocation)
            }
        }
        let ids = Set(records.map(\.id))
        #expect(Set(kernel.keys).isSubset(of: ids), "a kernel device without a row", sourceLocation: sourceLocation)
        let paths = Set(records.compactMap(\.definition.target.path)).union(kept)
        #expect(backend.madeFiles.isSubset(of: paths), "a made file without a row", sourceLocation: sourceLocation)
    }

    // MARK: the stories

    @Test func queuesAutoTakesTheHostsCPUCountAndStoresIt() throws {
        let manager = try manager()
        var request = Self.nullRequest
        request.queuesPerCPU = true
        let view = try manager.create(request)
        #expect(view.definition.queues == backend.host.cpuCount)
        #expect(try store.device(id: view.id)?.definition.queues == backend.host.cpuCount)
    }

    @Test func aCreatedDeviceComesBackAfterACrash() throws {
        let first = try manager()
        let view = try first.create(Self.fileRequest("a"))
        #expect(view.state == "live" && view.desiredState == "running")
        #expect(try store.device(id: view.id)?.madeBackingFile == true)
        backend.crashDaemon()
        let second = try manager()
        let back = try second.deviceView(id: view.id)
        #expect(back.state == "live")
        #expect(back.lastRecovery?.kind == "crash_recovery" && back.recoveries == 1)
        #expect(back.lastRecovery?.id != 0, "the start-up stored its event")
        #expect(backend.steps.contains(.recover))
        try expectAgreement(second)
    }

    @Test func aDeviceTheKernelForgotIsRebuilt() throws {
        let first = try manager()
        let view = try first.create(Self.nullRequest)
        first.handOver()
        backend.state.withLock { $0.kernel = [:] }
        let second = try manager()
        #expect(try second.deviceView(id: view.id).lastRecovery?.kind == "recreate")
        try expectAgreement(second)
    }

    @Test func stopStartAndDeleteConverge() throws {
        let manager = try manager()
        let id = try manager.create(Self.nullRequest).id
        #expect(try manager.stop(id: id).state == "stopped")
        #expect(backend.kernel[id] == nil)
        #expect(try manager.start(id: id).state == "live")
        try manager.delete(id: id)
        #expect(try store.devices().isEmpty && backend.kernel.isEmpty)
        #expect(try store.events(deviceID: id, limit: 10).map(\.kind) == ["deleted", "started", "stopped", "created"])
    }

    @Test func healthCountsDevicesByStateAndNamesTheKernelDevicesOfOthers() throws {
        let manager = try manager()
        for id: UInt32 in [5, 1] { backend.addForeignDevice(id) }
        let ids = try (0..<3).map { try manager.create(Self.fileRequest("d\($0)", path: "/srv/d\($0).img")).id }
        #expect(ids == [0, 2, 3])
        _ = try manager.stop(id: 2)
        let health = manager.health()
        #expect(health.devices == ["live": 2, "stopped": 1])
        #expect(health.unmanagedDevices == [1, 5])
        #expect(health.status == "ok")
    }

    @Test func aRecoveryTheDriverRefusesRebuilds() throws {
        let first = try manager()
        let id = try first.create(Self.nullRequest).id
        backend.crashDaemon()
        // What 6.12 shows after a recovery was cut short: QUIESCED, and START_USER_RECOVERY answers EINVAL.
        backend.state.withLock { $0.refuseRecovery = true }
        let second = try manager()
        #expect(try second.deviceView(id: id).state == "live")
        #expect(backend.steps.suffix(2) == [.recover, .rebuild])
        #expect(try second.deviceView(id: id).lastRecovery?.detail?.contains("rebuilt") == true)
        try expectAgreement(second)
    }

    @Test func aDeviceStillLiveWithoutServerWaitsThenFails() throws {
        let first = try manager()
        let id = try first.create(Self.nullRequest).id
        // 6.12 after a crash with every tag in hand: LIVE until a request times out.
        backend.state.withLock { state in
            state.kernel[id]?.serverAlive = false
            state.served = [:]
        }
        let started = ContinuousClock.now
        let second = try manager(quiesceTimeout: .milliseconds(300))
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        let view = try second.deviceView(id: id)
        #expect(view.state == "failed")
        #expect(view.error?.contains("LIVE without a server") == true)
        #expect(second.health().lastStart?.failed == 1)
    }

    @Test func aDeviceThatNeverComesBackDoesNotHoldUpTheStartUp() throws {
        let first = try manager()
        let stuck = try first.create(Self.nullRequest).id
        let other = try first.create(Self.fileRequest("other")).id
        backend.crashDaemon()
        backend.freezeRecovery(of: stuck)
        let started = ContinuousClock.now
        let second = try manager(startupLimit: .milliseconds(300))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try second.deviceView(id: other).state == "live")
        #expect(try second.deviceView(id: stuck).state == "recovering")
    }

    @Test func anotherLiveServersDeviceIsNeverTaken() throws {
        let first = try manager()
        let id = try first.create(Self.nullRequest).id
        backend.state.withLock { $0.kernel[id]?.serverPID = 1 }
        let second = try manager()
        #expect(try second.deviceView(id: id).state == "failed")
        #expect(backend.kernel[id]?.serverPID == 1, "left alone")
    }

    // MARK: failing at each step

    @Test("a create failing at each step leaves nothing", arguments: [FakeBackend.Step.createFile, .create])
    func createFailing(_ step: FakeBackend.Step) throws {
        let manager = try manager()
        backend.fail(at: step)
        #expect(throws: DaemonError.self) { try manager.create(Self.fileRequest("a")) }
        #expect(try store.devices().isEmpty)
        #expect(try manager.list().isEmpty)
        #expect(backend.kernel.isEmpty && backend.madeFiles.isEmpty && backend.files.isEmpty)
        #expect(try store.events(deviceID: nil, limit: 5).first?.kind == "create_failed")
    }

    @Test func aCreateOntoAnIDTakenInTheKernelLeavesThatDeviceAlone() throws {
        let manager = try manager()
        // Another ublk server takes id 0 between the id's reservation and ADD_DEV: the fake shows it only to the
        // build, as the kernel would.
        backend.state.withLock { $0.takeIDOnBuild = 0 }
        #expect(throws: DaemonError.self) { try manager.create(Self.nullRequest) }
        #expect(try store.devices().isEmpty)
        #expect(backend.kernel[0] != nil, "the other server's device stays")
    }

    @Test func aStartThatFailsLeavesTheDeviceStopped() throws {
        let manager = try manager()
        let id = try manager.create(Self.fileRequest("a")).id
        _ = try manager.stop(id: id)
        backend.fail(at: .create)
        #expect(throws: DaemonError.self) { try manager.start(id: id) }
        let view = try manager.deviceView(id: id)
        #expect(view.state == "stopped" && view.desiredState == "stopped")
        #expect(view.error?.contains("injected failure") == true)
        try expectAgreement(manager)
    }

    @Test("a resize failing at each step keeps the old size", arguments: [FakeBackend.Step.prepareResize, .resize])
    func resizeFailing(_ step: FakeBackend.Step) throws {
        let manager = try manager()
        let id = try manager.create(Self.fileRequest("a")).id
        backend.fail(at: step)
        #expect(throws: DaemonError.self) { try manager.resize(id: id, ResizeDeviceRequest(size: 128 << 20)) }
        backend.fail(at: nil)
        #expect(try store.device(id: id)?.definition.sizeBytes == 64 << 20)
        try expectAgreement(manager)
    }

    // MARK: killed at each step

    enum Operation: String, CaseIterable, CustomTestStringConvertible {
        case createFile, createNull, start, stop, delete, resize
        var testDescription: String { rawValue }

        /// The backend steps the operation goes through, each a moment to be killed at.
        var steps: [FakeBackend.Step?] {
            switch self {
            case .createFile: [.createFile, .create, nil]
            case .createNull: [.create, nil]
            case .start: [.create, nil]
            case .stop, .delete: [.stopServed, nil]
            case .resize: [.prepareResize, .resize, nil]
            }
        }
    }

    static let kills: [(Operation, FakeBackend.Step?)] = Operation.allCases.flatMap { op in op.steps.map { (op, $0) } }

    @Test("killed at each step, the next start agrees with the kernel", arguments: kills.indices)
    func killedAtEachStep(_ index: Int) throws {
        let (operation, step) = Self.kills[index]
        let first = try manager()
        // Another device, untouched by all of it.
        let bystanderRequest = Self.fileRequest("bystander", path: "/srv/bystander.img")
        let bystander = try first.create(bystanderRequest)
        var id: UInt32?
        switch operation {
        case .start, .stop, .delete, .resize:
            id = try first.create(Self.fileRequest("subject")).id
            if operation == .start { _ = try first.stop(id: id!) }
        case .createFile, .createNull:
            break
        }
        backend.freeze(at: step)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [id] in
            switch operation {
            case .createFile: _ = try? first.create(Self.fileRequest("subject"))
            case .createNull: _ = try? first.create(Self.nullRequest)
            case .start: _ = try? first.start(id: id!)
            case .stop: _ = try? first.stop(id: id!)
            case .delete: try? first.delete(id: id!)
            case .resize: _ = try? first.resize(id: id!, ResizeDeviceRequest(size: 128 << 20))
            }
            done.signal()
        }
        if step != nil {
            #expect(backend.frozen.wait(timeout: .now() + 5) == .success, "reached \(step!)")
        } else {
            #expect(done.wait(timeout: .now() + 5) == .success)
        }
        backend.crashDaemon()
        let second = try manager()
        try expectAgreement(second, kept: operation == .delete ? ["/srv/disk.img"] : [])
        #expect(try second.deviceView(id: bystander.id).state == "live")
        #expect(try store.device(id: bystander.id)?.definition == bystanderRequest.definition)
    }

    // MARK: the store

    @Test func anUnreadableStoreIsAStoreErrorNotAnEmptyList() throws {
        _ = try manager().create(Self.nullRequest)
        // A row edited by hand into something no ublkd wrote.
        try store.executeRaw("UPDATE devices SET updated_at = 'yesterday'")
        let manager = try manager()
        #expect(throws: DaemonError.self) { try manager.list() }
        #expect(manager.health().status == "degraded")
        #expect(manager.health().store != nil)
        #expect(throws: APIError(.storeError, "the state store failed; see the daemon log")) {
            try manager.listDevices()
        }
        // A later read that works (the history) does not make the unread devices true.
        _ = try manager.historyPage(deviceID: nil, limit: 1, before: nil)
        #expect(manager.health().store != nil)
        #expect(throws: DaemonError.self) { try manager.list() }
    }
}
