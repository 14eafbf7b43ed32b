import DeviceModel
import Glibc
import Logging
import SystemPackage
import UblkABI

/// Builds devices: turns a `DeviceDefinition` into a live `/dev/ublkbN` served by this process, and takes over the
/// ones a dead server left.
public final class Engine: Sendable {
    let control: ControlDevice
    /// Where file targets may be opened.
    public let paths: BackingPaths
    let logger: Logger

    public init(controlPath: String = ControlDevice.defaultPath, paths: BackingPaths = .anywhere,
                logger: Logger = Logger(label: "ublkd.engine")) throws(EngineError)
    {
        control = try ControlDevice(path: controlPath)
        self.paths = paths
        self.logger = logger
    }

    /// What the running driver offers.
    public var features: Features { control.features }

    /// Refuses, before any kernel call, what cannot work: a definition that breaks a rule, or one that needs a
    /// feature this driver lacks (which ADD_DEV would silently drop).
    public func check(_ definition: DeviceDefinition) throws(EngineError) {
        do {
            try definition.validate(host: .current)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        let missing = definition.recovery.features.subtracting(features)
        if !missing.isEmpty {
            throw .featureUnavailable(missing, reason: "recovery mode \"\(definition.recovery.rawValue)\" needs it")
        }
        if definition.queueThreads > 1, !features.contains(.perIODaemon) {
            throw .featureUnavailable(.perIODaemon, reason: "queue_threads above 1 needs it (kernel 6.16 or newer)")
        }
        if definition.batchIO, !features.contains(.batchIO) {
            throw .featureUnavailable(.batchIO, reason: "batch_io needs it (kernel 7.0 or newer)")
        }
    }

    /// ADD_DEV (under `id`, or one the driver picks), SET_PARAMS, queue threads with every tag fetched, START_DEV.
    /// Any failure undoes what was done, so no half-built device is left in the kernel.
    public func create(id: UInt32?, _ definition: DeviceDefinition) throws(EngineError) -> Device {
        try check(definition)
        return try build(id, definition, target: openTarget(definition))
    }

    /// Replaces whatever the driver holds under `id` (a device that cannot be resumed) with a new one from the
    /// definition. The backing store is opened first, so a missing one leaves the old device as it was.
    public func rebuild(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> Device {
        try check(definition)
        let target = try openTarget(definition)
        do {
            try remove(id)
        } catch {
            target.close()
            throw error
        }
        return try build(id, definition, target: target)
    }

    /// Stops and deletes a device this process does not serve (one a dead server left, quiesced or half-made).
    /// Nothing there is no error.
    public func remove(_ id: UInt32) throws(EngineError) {
        do {
            try? control.stopDevice(id)
            try control.deleteDevice(id)
        } catch {
            if error.controlErrno == .operationNotSupportedByDevice { return }
            throw error
        }
    }

    /// What the driver holds under `id` now. The server's pid is probed, so the caller can tell a dead
    /// predecessor from a live server that is not this process.
    public func observe(_ id: UInt32) throws(EngineError) -> KernelObservation {
        let info: DeviceInfo
        do {
            info = try control.deviceInfo(id)
        } catch {
            if error.controlErrno == .operationNotSupportedByDevice { return .absent }
            throw error
        }
        let params = try? control.params(id)
        let size = params.flatMap { $0.types.contains(.basic) ? $0.basic.deviceSectors * 512 : nil }
        let pid = info.serverPID
        let exists = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
        return .present(KernelDevice(state: info.state, flags: info.flags, serverPID: pid, serverProcessExists: exists,
                                     sizeBytes: size))
    }

    /// The target a definition names, opened and checked against the device's size.
    func openTarget(_ definition: DeviceDefinition) throws(EngineError) -> any Target {
        switch definition.target {
        case .null:
            return NullTarget()
        case .memory:
            return try MemoryTarget(sizeBytes: definition.sizeBytes)
        case .nbd(let export):
            return try NBDTarget(export, sizeBytes: definition.sizeBytes, readOnly: definition.readOnly,
                                 queues: definition.queues)
        case .file(let path):
            let target = try FileTarget(path: path, readOnly: definition.readOnly,
                                        logicalBlockSize: definition.blockSize, paths: paths)
            guard target.capacity >= definition.sizeBytes else {
                target.close()
                throw .backingStore(path: path, reason: "holds \(target.capacity) bytes, less than the device size "
                                    + "\(definition.sizeBytes)")
            }
            return target
        }
    }

    func build<T: Target>(_ id: UInt32?, _ definition: DeviceDefinition, target: T) throws(EngineError) -> Device {
        var requested = definition.recovery.features
        if definition.batchIO { requested.insert(.batchIO) }
        // QUIESCE lets a planned restart drain in-flight I/O instead of having it re-issued; taken where offered.
        let optional: Features = definition.recovery != .none ? features.intersection(.quiesce) : []
        switch definition.ioMode.resolved(offered: features, targetSupportsZeroCopy: target.supportsZeroCopy) {
        case .copy:
            break
        case .zeroCopy:
            requested.insert(.autoBufferRegistration)
        case nil:
            target.close()
            guard target.supportsZeroCopy else {
                throw .invalidConfiguration(
                    "the \(definition.target.kind.rawValue) target needs its data in memory: use io_mode copy")
            }
            throw .featureUnavailable(.autoBufferRegistration, reason: "io_mode \"zero_copy\" needs it")
        }
        let wanted = DeviceInfo(
            queueCount: UInt16(definition.queues), queueDepth: UInt16(definition.queueDepth),
            maxIOBufferBytes: UInt32(definition.maxIOBytes), deviceID: id ?? ControlCommand.anyDevice,
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
            try control.setParams(info.deviceID, params(for: definition, info: info, target: target))
        } catch {
            target.close()
            deleteHalfBuilt(info.deviceID, log: log)
            throw error
        }
        do {
            let device = try attach(definition, target: target, info: info, log: log) { () throws(EngineError) in
                try control.startDevice(info.deviceID, serverPID: getpid())
            }
            RequestTimeout.apply(deviceID: info.deviceID, log: log)
            log.info("device started", metadata: Self.metadata(info, target))
            return device
        } catch {
            deleteHalfBuilt(info.deviceID, log: log)
            throw error
        }
    }

    /// Opens the char device, starts a queue thread per queue with every tag fetched, then runs `activate`
    /// (START_DEV or END_USER_RECOVERY, which wait for those fetches). Undoes its own part on failure.
    func attach<T: Target>(_ definition: DeviceDefinition, target: T, info: DeviceInfo, log: Logger,
                           activate: () throws(EngineError) -> Void) throws(EngineError) -> Device {
        let id = info.deviceID
        var queues: [any QueueControl] = []
        var charDevice: Int32 = -1
        do throws(EngineError) {
            charDevice = try CharacterDevice.open(deviceID: id)
            // Without PER_IO_DAEMON the driver wants every command of a queue from one thread (a device recovered
            // on such a kernel falls back to that). The batch model serves a queue from one thread here.
            let threads = info.flags.contains(.perIODaemon) && !info.flags.contains(.batchIO) ? definition.queueThreads : 1
            for queue in 0..<Int(info.queueCount) {
                let cpus = definition.pinQueues ? (try? control.queueAffinity(id, queue: UInt16(queue))) ?? [] : []
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
        return Device(id: id, definition: definition, info: info, control: control, queues: queues, target: target,
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
                         ioctlEncoded: info.flags.contains(.commandIoctlEncode),
                         fetchesUnprivileged: PartitionScan.holdsDeviceLock(offered: features), cpus: cpus,
                         handler: handler, logger: log)
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

    func params<T: Target>(for definition: DeviceDefinition, info: DeviceInfo, target: T) -> Params {
        let blockShift = UInt8(definition.blockSize.trailingZeroBitCount)
        var attributes: DeviceAttributes = []
        if definition.readOnly { attributes.insert(.readOnly) }
        if target.hasVolatileCache { attributes.insert(.volatileCache) }
        if target.hasVolatileCache && target.forceUnitAccess { attributes.insert(.forceUnitAccess) }
        let basic = BasicParams(
            attributes: attributes, logicalBlockShift: blockShift, physicalBlockShift: max(blockShift, 12),
            ioOptimalShift: max(blockShift, 12), ioMinimumShift: blockShift,
            maxSectors: info.maxIOBufferBytes / 512, deviceSectors: definition.sizeBytes / 512)
        var types: ParamTypes = [.basic]
        var discard = DiscardParams()
        if let offered = target.discardParams(logicalBlockSize: definition.blockSize) {
            types.insert(.discard)
            discard = offered
        }
        return Params(types: types, basic: basic, discard: discard)
    }
}
