import Glibc
import Logging
import SystemPackage
import UblkABI

/// Builds devices: turns a `DeviceSpec` into a live `/dev/ublkbN` served by this process.
public final class Engine: Sendable {
    public let control: ControlDevice
    let logger: Logger

    public init(controlPath: String = ControlDevice.defaultPath, logger: Logger = Logger(label: "ublkd.engine"))
        throws(EngineError)
    {
        control = try ControlDevice(path: controlPath)
        self.logger = logger
    }

    /// What the running driver offers.
    public var features: Features { control.features }

    /// ADD_DEV, SET_PARAMS, queue threads with every tag fetched, START_DEV. Any failure undoes what was done,
    /// so no half-built device is left in the kernel.
    public func create(_ spec: DeviceSpec) throws(EngineError) -> Device {
        try spec.validate()
        try checkFeatures(spec)
        switch spec.target {
        case .null:
            return try build(spec, target: NullTarget())
        case .memory:
            return try build(spec, target: MemoryTarget(sizeBytes: spec.sizeBytes))
        case .file(let path):
            return try build(spec, target: openFile(path, for: spec))
        }
    }

    /// Opens a backing file and checks it can hold the whole device.
    func openFile(_ path: String, for spec: DeviceSpec) throws(EngineError) -> FileTarget {
        let target = try FileTarget(path: path, readOnly: spec.readOnly, logicalBlockSize: spec.logicalBlockSize)
        guard target.capacity >= spec.sizeBytes else {
            target.close()
            throw .backingStore(path: path, reason: "holds \(target.capacity) bytes, less than the device size "
                                + "\(spec.sizeBytes)")
        }
        return target
    }

    /// Refuses, before any kernel call, what the driver would silently drop.
    func checkFeatures(_ spec: DeviceSpec) throws(EngineError) {
        let missing = spec.recovery.features.subtracting(features)
        if !missing.isEmpty {
            throw .featureUnavailable(missing, reason: "recovery mode \"\(spec.recovery.rawValue)\" needs it")
        }
        if spec.queueThreads > 1, !features.contains(.perIODaemon) {
            throw .featureUnavailable(.perIODaemon, reason: "queue_threads above 1 needs it (kernel 6.16 or newer)")
        }
        if spec.batchIO, !features.contains(.batchIO) {
            throw .featureUnavailable(.batchIO, reason: "batch_io needs it (kernel 7.0 or newer)")
        }
    }

    func build<T: Target>(_ spec: DeviceSpec, target: T) throws(EngineError) -> Device {
        var requested = spec.recovery.features
        if spec.batchIO { requested.insert(.batchIO) }
        // QUIESCE lets a planned restart drain in-flight I/O instead of having it re-issued; taken where offered.
        let optional: Features = spec.recovery != .none ? features.intersection(.quiesce) : []
        switch spec.ioMode.resolved(offered: features, targetSupportsZeroCopy: target.supportsZeroCopy) {
        case .copy:
            break
        case .zeroCopy:
            requested.insert(.autoBufferRegistration)
        case nil:
            target.close()
            guard target.supportsZeroCopy else {
                throw .invalidConfiguration("the \(spec.target.kind) target needs its data in memory: use io_mode copy")
            }
            throw .featureUnavailable(.autoBufferRegistration, reason: "io_mode \"zero_copy\" needs it")
        }
        let wanted = DeviceInfo(
            queueCount: UInt16(spec.queues), queueDepth: UInt16(spec.queueDepth),
            maxIOBufferBytes: UInt32(spec.maxIOBytes), deviceID: spec.deviceID ?? ControlCommand.anyDevice,
            flags: requested.union(optional).union(.commandIoctlEncode))
        let info: DeviceInfo
        do {
            info = try control.addDevice(wanted)
        } catch {
            target.close()
            throw error
        }
        let log = deviceLogger(info.deviceID)
        do throws(EngineError) {
            let notGranted = requested.subtracting(info.flags)
            if !notGranted.isEmpty {
                throw EngineError.featureUnavailable(notGranted, reason: "ADD_DEV did not grant it")
            }
            try control.setParams(info.deviceID, params(for: spec, info: info, target: target))
        } catch {
            target.close()
            deleteHalfBuilt(info.deviceID, log: log)
            throw error
        }
        do {
            let device = try attach(spec, target: target, info: info, log: log) { () throws(EngineError) in
                try control.startDevice(info.deviceID, serverPID: getpid())
            }
            log.info("device started", metadata: Self.metadata(info, target))
            return device
        } catch {
            deleteHalfBuilt(info.deviceID, log: log)
            throw error
        }
    }

    /// Takes over a device whose server died, from the driver's own description of it: START_USER_RECOVERY
    /// (retried while the old server's char device is still being released), new queues fetch every tag, then
    /// END_USER_RECOVERY. On failure the device stays in the driver, quiesced, for another attempt or a delete.
    public func recover(_ spec: DeviceSpec, releaseTimeout: Duration = .seconds(30)) throws(EngineError) -> Device {
        try spec.validate()
        guard let id = spec.deviceID else { throw .invalidConfiguration("recovery needs the device id") }
        let info = try control.deviceInfo(id)
        let log = deviceLogger(id)
        // The geometry is the driver's (SET_PARAMS is refused now); the backing store is checked before the
        // driver is asked to reset anything, so a missing file leaves the device exactly as it was.
        let geometry = try control.params(id)
        var recovered = spec
        recovered.sizeBytes = geometry.basic.deviceSectors * 512
        switch spec.target {
        case .null:
            return try recoverAttach(recovered, NullTarget(), info, log, releaseTimeout)
        case .memory:
            return try recoverAttach(recovered, MemoryTarget(sizeBytes: recovered.sizeBytes), info, log,
                                     releaseTimeout)
        case .file(let path):
            return try recoverAttach(recovered, openFile(path, for: recovered), info, log, releaseTimeout)
        }
    }

    func startUserRecovery(_ id: UInt32, releaseTimeout: Duration) throws(EngineError) {
        let deadline = ContinuousClock.now + releaseTimeout
        while true {
            do {
                try control.startUserRecovery(id)
                return
            } catch {
                guard error.controlErrno == .resourceBusy, ContinuousClock.now < deadline else { throw error }
                usleep(100_000)
            }
        }
    }

    /// Fault injection for the VM tests only: `UBLKD_TEST_RECOVERY_PAUSE_MS` holds a recovery between
    /// START_USER_RECOVERY and the queues' fetches, so a test can kill the daemon exactly there.
    static let recoveryPauseForTests: UInt32? = getenv("UBLKD_TEST_RECOVERY_PAUSE_MS")
        .flatMap { UInt32(String(cString: $0)) }.map { $0 * 1000 }

    func recoverAttach<T: Target>(_ spec: DeviceSpec, _ target: T, _ info: DeviceInfo, _ log: Logger,
                                  _ releaseTimeout: Duration) throws(EngineError) -> Device
    {
        do {
            try startUserRecovery(info.deviceID, releaseTimeout: releaseTimeout)
        } catch {
            target.close()
            throw error
        }
        if let pause = Self.recoveryPauseForTests { usleep(pause) }
        let device = try attach(spec, target: target, info: info, log: log) { () throws(EngineError) in
            try control.endUserRecovery(info.deviceID, serverPID: getpid())
        }
        log.info("device recovered", metadata: Self.metadata(info, target))
        return device
    }

    /// Opens the char device, starts a queue thread per queue with every tag fetched, then runs `activate`
    /// (START_DEV or END_USER_RECOVERY, which wait for those fetches). Undoes its own part on failure.
    func attach<T: Target>(_ spec: DeviceSpec, target: T, info: DeviceInfo, log: Logger,
                           activate: () throws(EngineError) -> Void) throws(EngineError) -> Device {
        let id = info.deviceID
        var queues: [any QueueControl] = []
        var charDevice: Int32 = -1
        do throws(EngineError) {
            charDevice = try CharacterDevice.open(deviceID: id)
            // Without PER_IO_DAEMON the driver wants every command of a queue from one thread (a device recovered
            // on such a kernel falls back to that). The batch model serves a queue from one thread here.
            let threads = info.flags.contains(.perIODaemon) && !info.flags.contains(.batchIO) ? spec.queueThreads : 1
            for queue in 0..<Int(info.queueCount) {
                let cpus = spec.pinQueues ? (try? control.queueAffinity(id, queue: UInt16(queue))) ?? [] : []
                for thread in 0..<threads {
                    let runner = try makeQueue(queue, tags: TagShare(thread: thread, of: threads,
                                                                     depth: Int(info.queueDepth)),
                                               info: info, charDevice: charDevice, cpus: cpus,
                                               handler: target.makeHandler(queue: queue, depth: Int(info.queueDepth)),
                                               log: log)
                    queues.append(runner)
                    try runner.start()
                }
            }
            try activate()
        } catch {
            log.error("attaching the device failed, undoing it: \(error)")
            queues.forEach { $0.requestExit() }
            queues.forEach { $0.join() }
            if charDevice >= 0 { close(charDevice) }
            target.close()
            throw error
        }
        return Device(id: id, spec: spec, info: info, control: control, queues: queues, target: target,
                      charDevice: charDevice, logger: log)
    }

    /// The command model follows the device's flags as the driver keeps them, so a recovery serves a device the
    /// way it was created, whatever the stored definition says.
    func makeQueue<H: QueueHandler>(_ queue: Int, tags: TagShare, info: DeviceInfo, charDevice: Int32, cpus: [Int], handler: H,
                                    log: Logger) throws(EngineError) -> QueueThread {
        if info.flags.contains(.batchIO) {
            return try BatchQueue(queueID: queue, depth: Int(info.queueDepth), deviceID: info.deviceID,
                                  charDevice: charDevice, bufferBytes: Int(info.maxIOBufferBytes),
                                  deviceFlags: info.flags, cpus: cpus, handler: handler, logger: log)
        }
        return try Queue(queueID: queue, tags: tags, deviceID: info.deviceID, charDevice: charDevice,
                         bufferBytes: Int(info.maxIOBufferBytes), zeroCopy: info.flags.contains(.autoBufferRegistration),
                         ioctlEncoded: info.flags.contains(.commandIoctlEncode), cpus: cpus, handler: handler,
                         logger: log)
    }

    func deleteHalfBuilt(_ id: UInt32, log: Logger) {
        do {
            try control.deleteDevice(id)
        } catch {
            log.error("could not delete the half-built device: \(error)")
        }
    }

    func deviceLogger(_ id: UInt32) -> Logger {
        var log = logger
        log[metadataKey: "ublk.dev_id"] = "\(id)"
        return log
    }

    static func metadata<T: Target>(_ info: DeviceInfo, _ target: T) -> Logger.Metadata {
        [
            "ublk.queues": "\(info.queueCount)", "ublk.depth": "\(info.queueDepth)",
            "ublk.flags": "\(info.flags)", "ublk.io": "\(target.ioDescription)",
        ]
    }

    func params<T: Target>(for spec: DeviceSpec, info: DeviceInfo, target: T) -> Params {
        let blockShift = UInt8(spec.logicalBlockSize.trailingZeroBitCount)
        var attributes: DeviceAttributes = []
        if spec.readOnly { attributes.insert(.readOnly) }
        if target.hasVolatileCache { attributes.formUnion([.volatileCache, .forceUnitAccess]) }
        let basic = BasicParams(
            attributes: attributes, logicalBlockShift: blockShift, physicalBlockShift: max(blockShift, 12),
            ioOptimalShift: max(blockShift, 12), ioMinimumShift: blockShift,
            maxSectors: info.maxIOBufferBytes / 512, deviceSectors: spec.sizeBytes / 512)
        var types: ParamTypes = [.basic]
        var discard = DiscardParams()
        if let offered = target.discardParams(logicalBlockSize: spec.logicalBlockSize) {
            types.insert(.discard)
            discard = offered
        }
        return Params(types: types, basic: basic, discard: discard)
    }
}
