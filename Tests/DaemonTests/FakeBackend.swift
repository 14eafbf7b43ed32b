@testable import Daemon
import TestSupport
import DeviceModel
import Dispatch
import Engine
import Glibc
import Synchronization
import UblkABI

/// A stand-in for the kernel and the backing files, for the daemon's own logic on the host: it keeps devices the
/// way the driver's states go (DEAD, LIVE, QUIESCED), fails or freezes at a chosen step, and can play a crash of
/// the daemon (its devices lose their server). It is not the kernel: the kernel's behaviour is tested in the VM.
final class FakeBackend: DeviceBackend, @unchecked Sendable {
    enum Step: String, CaseIterable, Sendable, CustomStringConvertible {
        case createFile, create, rebuild, recover, remove, removeFile, stopServed, prepareResize, resize
        var description: String { rawValue }
    }

    struct KernelEntry: Equatable {
        var state: DeviceState
        var flags: Features
        var serverPID: Int32
        var serverAlive: Bool
        var sizeBytes: UInt64
    }

    struct State {
        var kernel: [UInt32: KernelEntry] = [:]
        /// Backing files: path -> size.
        var files: [String: UInt64] = [:]
        /// Paths this backend made with createBackingFile and has not removed.
        var madeFiles: Set<String> = []
        var failAt: Step?
        var freezeAt: Step?
        var steps: [Step] = []
        var served: [UInt32: FakeServedDevice] = [:]
        /// The next START_USER_RECOVERY answers EINVAL (6.12 after a recovery cut short).
        var refuseRecovery = false
        /// Another server takes this id just before the next build's ADD_DEV.
        var takeIDOnBuild: UInt32?
        /// The recovery of this id never returns (a device whose commands the driver never answers).
        var frozenRecovery: UInt32?
    }

    let state = Mutex(State())
    let offered: Features
    /// Signalled when a step reached `freezeAt`; the step itself never returns.
    let frozen = DispatchSemaphore(value: 0)

    init(features: Features = [.userRecovery, .userRecoveryReissue, .updateSize, .commandIoctlEncode]) {
        offered = features
    }

    // MARK: the test's controls

    func fail(at step: Step?) { state.withLock { $0.failAt = step } }
    func freeze(at step: Step?) { state.withLock { $0.freezeAt = step } }
    var steps: [Step] { state.withLock { $0.steps } }
    var kernel: [UInt32: KernelEntry] { state.withLock { $0.kernel } }
    var files: [String: UInt64] { state.withLock { $0.files } }
    var madeFiles: Set<String> { state.withLock { $0.madeFiles } }

    func addFile(_ path: String, size: UInt64) { state.withLock { $0.files[path] = size } }

    func freezeRecovery(of id: UInt32) { state.withLock { $0.frozenRecovery = id } }

    /// A kernel device another ublk server made and serves: no row of ours names it.
    func addForeignDevice(_ id: UInt32) {
        state.withLock {
            $0.kernel[id] = KernelEntry(state: .live, flags: [], serverPID: 4242, serverAlive: true, sizeBytes: 4096)
        }
    }

    /// The daemon died: every device it served loses its server. With user recovery the driver quiesces it; without,
    /// it goes DEAD. A frozen step stays frozen (its thread is the dead daemon's).
    func crashDaemon() {
        state.withLock { state in
            for (id, var entry) in state.kernel where entry.serverAlive {
                entry.serverAlive = false
                entry.state = entry.flags.contains(.userRecovery) ? (entry.state == .live ? .quiesced : entry.state)
                    : .dead
                state.kernel[id] = entry
            }
            for device in state.served.values { device.dead = true }
            state.served = [:]
            state.failAt = nil
            state.freezeAt = nil
        }
    }

    /// Runs `step`: records it, then fails, freezes or goes on.
    func enter(_ step: Step) throws(EngineError) {
        let (fail, freeze) = state.withLock { state -> (Bool, Bool) in
            state.steps.append(step)
            return (state.failAt == step, state.freezeAt == step)
        }
        if freeze {
            frozen.signal()
            DispatchSemaphore(value: 0).wait()
        }
        if fail { throw .system("injected failure at \(step)", errno: .ioError) }
    }

    // MARK: DeviceBackend

    func features() throws(EngineError) -> Features { offered }

    var host: HostLimits { HostLimits(cpuCount: 4, memoryBytes: 8 << 30) }

    func check(_ definition: DeviceDefinition) throws(EngineError) {
        do {
            try definition.validate(host: host)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        let missing = definition.recovery.features.subtracting(offered)
        if !missing.isEmpty { throw .featureUnavailable(missing, reason: "recovery mode needs it") }
    }

    func checkBackingPath(_ path: String, creating: Bool) throws(EngineError) {}

    func observe(_ id: UInt32) throws(EngineError) -> KernelObservation {
        guard let entry = state.withLock({ $0.kernel[id] }) else { return .absent }
        return .present(KernelDevice(state: entry.state, flags: entry.flags, serverPID: entry.serverPID,
                                     serverProcessExists: entry.serverAlive, sizeBytes: entry.sizeBytes))
    }

    func create(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try enter(.create)
        return try build(id, definition)
    }

    func rebuild(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try enter(.rebuild)
        state.withLock { _ = $0.kernel.removeValue(forKey: id) }
        return try build(id, definition)
    }

    private func build(_ id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try check(definition)
        if case .file(let path) = definition.target {
            guard let size = state.withLock({ $0.files[path] }) else {
                throw .backingStore(path: path, reason: "does not exist")
            }
            guard size >= definition.sizeBytes else {
                throw .backingStore(path: path, reason: "holds \(size) bytes, less than the device size")
            }
        }
        return try state.withLock { state throws(EngineError) -> any ServedDevice in
            if state.takeIDOnBuild == id {
                state.takeIDOnBuild = nil
                state.kernel[id] = KernelEntry(state: .live, flags: [], serverPID: 1, serverAlive: true, sizeBytes: 4096)
            }
            if state.kernel[id] != nil { throw .controlCommand(.addDevice, deviceID: id, errno: .fileExists) }
            state.kernel[id] = KernelEntry(state: .live, flags: definition.recovery.features, serverPID: getpid(),
                                           serverAlive: true, sizeBytes: definition.sizeBytes)
            let device = FakeServedDevice(id: id, backend: self, path: definition.target.path)
            state.served[id] = device
            return device
        }
    }

    func recover(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice {
        try enter(.recover)
        if state.withLock({ $0.frozenRecovery == id }) { DispatchSemaphore(value: 0).wait() }
        if case .file(let path) = definition.target, state.withLock({ $0.files[path] }) == nil {
            throw .backingStore(path: path, reason: "does not exist")
        }
        return try state.withLock { state throws(EngineError) -> any ServedDevice in
            if state.refuseRecovery {
                state.refuseRecovery = false
                throw .controlCommand(.startUserRecovery, deviceID: id, errno: .invalidArgument)
            }
            guard var entry = state.kernel[id], entry.state == .quiesced || entry.state == .failIO else {
                throw .controlCommand(.startUserRecovery, deviceID: id, errno: .resourceBusy)
            }
            entry.state = .live
            entry.serverPID = getpid()
            entry.serverAlive = true
            state.kernel[id] = entry
            let device = FakeServedDevice(id: id, backend: self, path: definition.target.path)
            state.served[id] = device
            return device
        }
    }

    func remove(_ id: UInt32) throws(EngineError) {
        try enter(.remove)
        state.withLock { _ = $0.kernel.removeValue(forKey: id) }
    }

    func createBackingFile(_ path: String, size: UInt64) throws(EngineError) {
        try enter(.createFile)
        try state.withLock { state throws(EngineError) in
            if state.files[path] != nil { throw .backingStore(path: path, reason: "cannot create: File exists") }
            state.files[path] = size
            state.madeFiles.insert(path)
        }
    }

    func removeBackingFile(_ path: String) throws(EngineError) {
        try enter(.removeFile)
        state.withLock { state in
            state.files[path] = nil
            state.madeFiles.remove(path)
        }
    }

    func backingFileExists(_ path: String) -> Bool { state.withLock { $0.files[path] != nil } }

    func backingFileSize(_ path: String) -> UInt64? { state.withLock { $0.files[path] } }

    func kernelDeviceIDs() -> [UInt32] { state.withLock { $0.kernel.keys.sorted() } }

    func probeExport(_ uri: String) throws(EngineError) -> NBDExport {
        throw .network(what: "connecting to the export", message: "the fake has no NBD server", errno: .notSupported)
    }
}

/// A device the fake serves.
final class FakeServedDevice: ServedDevice, @unchecked Sendable {
    let id: UInt32
    let backend: FakeBackend
    let path: String?
    let startedAt = ContinuousClock.now
    /// Its daemon crashed: it serves nothing any more.
    var dead = false

    init(id: UInt32, backend: FakeBackend, path: String?) {
        self.id = id
        self.backend = backend
        self.path = path
    }

    var blockDevicePath: String { "/dev/ublkb\(id)" }
    var ioMode: IOMode { .copy }
    var batchIO: Bool { false }
    var ioDescription: String { path == nil ? "none" : "direct" }
    func queueStatistics() -> [IOCounters] { [IOCounters()] }
    /// What the device reports of its connections (a test sets it to play a network target).
    var connectionStatus: ConnectionStatus?
    /// Any fake may play a network target: its connections are always asked.
    var hasConnections: Bool { true }

    func stopAndDelete() throws(EngineError) {
        try backend.enter(.stopServed)
        backend.state.withLock { state in
            state.kernel[id] = nil
            state.served[id] = nil
        }
    }

    func handOver() {
        backend.state.withLock { state in
            state.kernel[id]?.state = .quiesced
            state.kernel[id]?.serverAlive = false
            state.served[id] = nil
        }
    }

    func prepareResize(to bytes: UInt64) throws(EngineError) {
        try backend.enter(.prepareResize)
        if let path {
            backend.state.withLock { state in state.files[path] = max(state.files[path] ?? 0, bytes) }
        }
    }

    func resize(to bytes: UInt64) throws(EngineError) {
        try prepareResize(to: bytes)
        try backend.enter(.resize)
        backend.state.withLock { $0.kernel[id]?.sizeBytes = bytes }
    }
}
