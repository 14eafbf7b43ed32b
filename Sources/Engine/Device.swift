import DeviceModel
import Glibc
import Logging
import SystemPackage
import Synchronization
import UblkABI

/// A device this process serves: its kernel identity, its queue threads, and its target.
public final class Device: Sendable {
    public let id: UInt32
    /// As served: a recovered device has the driver's size and layout.
    public let definition: DeviceDefinition
    /// The device info as the driver granted it at ADD_DEV (queue count and flags may differ from the request).
    public let info: DeviceInfo
    /// How the target does I/O (e.g. "direct", "buffered").
    public let ioDescription: String
    /// Whether data passes through the queues' buffers or stays in the requests' pages; fixed at ADD_DEV.
    public let ioMode: IOMode
    public let startedAt: ContinuousClock.Instant

    let control: ControlDevice
    let queues: [any QueueControl]
    let target: any Target
    let charDevice: Int32
    let logger: Logger
    private let released = Mutex(false)

    init(id: UInt32, definition: DeviceDefinition, info: DeviceInfo, control: ControlDevice, queues: [any QueueControl],
         target: any Target, charDevice: Int32, logger: Logger) {
        self.id = id
        self.definition = definition
        self.info = info
        self.control = control
        self.queues = queues
        self.target = target
        self.charDevice = charDevice
        self.logger = logger
        self.ioDescription = target.ioDescription
        self.ioMode = info.flags.contains(.autoBufferRegistration) ? .zeroCopy : .copy
        self.startedAt = .now
    }

    /// Whether the queues use the batch command model (`UBLK_F_BATCH_IO`); fixed at ADD_DEV.
    public var batchIO: Bool { info.flags.contains(.batchIO) }

    public var blockDevicePath: String { "/dev/ublkb\(id)" }

    /// Per-queue counters (the threads of a queue summed), read from the atomics without disturbing them.
    public func queueStatistics() -> [IOCounters] {
        var perQueue = [IOCounters](repeating: IOCounters(), count: Int(info.queueCount))
        for queue in queues where perQueue.indices.contains(queue.queueID) {
            perQueue[queue.queueID] = perQueue[queue.queueID] + queue.counters.snapshot()
        }
        return perQueue
    }

    public func statistics() -> IOCounters { queueStatistics().reduce(IOCounters(), +) }

    /// The target's connections (network targets), nil for the others.
    public var connectionStatus: ConnectionStatus? { target.connectionStatus }
    public var hasConnections: Bool { target.hasConnections }

    /// Removes the disk: the driver aborts every queued command, the queue threads exit, and this process lets go
    /// of the char device. The device id stays allocated in the driver until `delete()`.
    public func stop() throws(EngineError) {
        var stopError: EngineError?
        do {
            try control.stopDevice(id)
            // STOP_DEV returns with every request completed and the queues' commands aborted, so the threads end
            // by themselves; one that still waits for a command the driver will never answer leaves when told.
            letQueuesDrain(within: Self.stopDrainLimit) { false }
        } catch {
            // Without a successful STOP the threads would wait forever; make them leave instead.
            stopError = error
            queues.forEach { $0.requestExit() }
        }
        releaseResources()
        if let stopError { throw stopError }
        logger.info("device stopped")
    }

    /// Forgets the device in the driver. Call after `stop()` (or on a device this process no longer serves).
    public func delete() throws(EngineError) {
        releaseResources()
        try control.deleteDevice(id)
        logger.info("device deleted")
    }

    /// A planned hand-over to the next server (daemon restart). Where the device has `UBLK_F_QUIESCE`, the driver
    /// first stops handing out requests and lets the ones in flight complete, so none is re-issued; otherwise the
    /// queues simply leave and the driver re-queues what they held.
    public func handOver() {
        if info.flags.contains(.quiesce) {
            do {
                try control.quiesceDevice(id, timeoutMilliseconds: Self.quiesceTimeoutMilliseconds)
                // Every command is aborted now, and the queues commit what they still hold. A commit linked behind
                // its backing I/O goes in without a word to its queue, so the disk itself says when all is
                // committed. A request that cannot finish (a network server that is down) is left to the driver
                // after a while.
                letQueuesDrain(within: Self.drainLimit, handingOver: true) { DiskInflight.read(deviceID: id) == 0 }
                releaseResources()
                logger.info("device quiesced and handed over")
                return
            } catch {
                logger.warning("QUIESCE_DEV failed, handing over without it: \(error)")
            }
        }
        abandon()
    }

    /// Checks a resize and makes the backing store hold `bytes` (it never shrinks), before anything records the new
    /// size: a disk that grows never reaches past its store, even when a crash cuts the resize short.
    public func prepareResize(to bytes: UInt64) throws(EngineError) {
        guard control.features.contains(.updateSize) else {
            throw .featureUnavailable(.updateSize, reason: "online resize needs it (kernel 6.16 or newer)")
        }
        var resized = definition
        resized.sizeBytes = bytes
        do {
            try resized.validate(host: nil)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        try target.prepareCapacity(bytes)
    }

    /// How long a hand-over waits for the requests in flight to complete before the queues leave anyway.
    static let quiesceTimeoutMilliseconds: UInt64 = 10_000
    /// How long a quiesced hand-over waits for the requests still being served.
    static let drainLimit: Duration = .seconds(5)
    /// How long the queues of a stopped device may take to see their commands aborted.
    static let stopDrainLimit: Duration = .seconds(2)

    /// Waits until every queue thread has ended or `drained` says nothing is left to do, at most `limit`; then the
    /// threads still running are told to leave (`handingOver`: leaving their rings to the process's exit).
    private func letQueuesDrain(within limit: Duration, handingOver: Bool = false, drained: () -> Bool) {
        let deadline = ContinuousClock.now + limit
        while queues.contains(where: { !$0.hasEnded }) && !drained() && ContinuousClock.now < deadline {
            usleep(5_000)
        }
        for queue in queues where !queue.hasEnded {
            if handingOver { queue.handOver() } else { queue.requestExit() }
        }
    }

    /// Changes the capacity of the live disk (`UPDATE_SIZE`, kernels with `UBLK_F_UPDATE_SIZE`), the backing store
    /// prepared first. File systems on the disk are not touched (resize2fs is the user's step).
    public func resize(to bytes: UInt64) throws(EngineError) {
        try prepareResize(to: bytes)
        try control.updateSize(id, sectors: bytes / 512)
        logger.info("device resized", metadata: ["ublk.size": "\(bytes)"])
    }

    /// Leaves the device to the driver without stopping it, for a process about to exit: the queue threads exit
    /// (their rings left to the process's exit), and a device created with user recovery is quiesced with its I/O
    /// held until a new server recovers it.
    public func abandon() {
        queues.forEach { $0.handOver() }
        releaseResources()
    }

    /// Joins the queue threads and closes what the device holds, once.
    private func releaseResources() {
        let first = released.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        queues.forEach { $0.join() }
        close(charDevice)
        target.close()
    }
}

public enum IOMode: String, Sendable {
    /// Data passes through per-tag buffers of the daemon.
    case copy
    /// The kernel lends the request's pages to the queue's ring; the daemon never holds the data.
    case zeroCopy = "zero_copy"
}
