import DeviceModel
import Engine
import Foundation
import Glibc
import Store

extension DeviceManager {
    /// What converging one device did.
    struct Convergence: Sendable {
        var settled: DeviceLifecycle.Settled
        /// What the actions were, for the event row and the log (e.g. "user recovery (the driver held it QUIESCED)").
        var how: [String]
        /// Whether the driver had the device when the lifecycle first looked.
        var foundInKernel: Bool

        var detail: String? { how.isEmpty ? nil : how.joined(separator: "; ") }
    }

    /// The interpreter of `DeviceLifecycle`: observe, ask the machine, perform its action, until the device settles.
    /// Throws the failure that made the machine refuse, or `.refused` with its reason; the caller decides what the
    /// device shows then. `undoReason` is the event's error when the definition of an undone create is forgotten.
    func converge(_ managed: ManagedDevice, createAbandoned: Bool = false, undoReason: String? = nil)
        throws(DaemonError) -> Convergence
    {
        let id = managed.id
        let log = deviceLogger(id)
        var machine = DeviceLifecycle(quiesceTimeout: patience.quiesce)
        var how: [String] = []
        var lastError: DaemonError?
        var foundInKernel: Bool?
        while true {
            let record = managed.record
            let kernel: KernelObservation
            do {
                kernel = try backend.observe(id)
            } catch {
                throw .kernel(error)
            }
            if foundInKernel == nil { foundInKernel = kernel != .absent }
            let holding: DeviceLifecycle.Holding
            switch managed.state {
            case .live: holding = .serving
            case .creating: holding = .creating
            default: holding = .nothing
            }
            let madeFileExists = record.madeBackingFile
                && record.definition.target.path.map(backend.backingFileExists) == true
            let action = machine.next(DeviceLifecycle.Input(
                desired: record.desiredState, storedSize: record.definition.sizeBytes,
                madeBackingFileExists: madeFileExists, kernel: kernel, holding: holding,
                createAbandoned: createAbandoned, ownPID: getpid(), now: .now))
            switch action {
            case .settled(let settled):
                return Convergence(settled: settled, how: how, foundInKernel: foundInKernel ?? false)
            case .refuse(let reason):
                log.warning("the lifecycle gives up: \(reason)")
                throw lastError ?? .refused(reason)
            case .waitForQuiesce:
                usleep(20_000)
            default:
                do throws(DaemonError) {
                    if let done = try perform(action, managed, kernel: kernel, undoReason: undoReason) {
                        how.append(done)
                        log.info("\(done)")
                    }
                    // Nothing is left to observe of a forgotten device.
                    if action == .forget {
                        return Convergence(settled: .gone, how: how, foundInKernel: foundInKernel ?? false)
                    }
                } catch {
                    log.warning("\(Self.describe(action)) failed: \(error)")
                    machine.failed(action, Self.failure(of: error))
                    lastError = error
                }
            }
        }
    }

    /// One action; returns what it did, in words, when that is worth an event's detail.
    private func perform(_ action: DeviceLifecycle.Action, _ managed: ManagedDevice, kernel: KernelObservation,
                         undoReason: String?) throws(DaemonError) -> String? {
        let id = managed.id
        let record = managed.record
        let definition = record.definition
        switch action {
        case .recover:
            let held = Self.stateName(kernel)
            managed.state = .live(try kernelCall { () throws(EngineError) in try backend.recover(id: id, definition) })
            return "user recovery (the driver held it \(held))"
        case .rebuild(let deleteFirst):
            let had = Self.stateName(kernel)
            let device = try kernelCall { () throws(EngineError) in
                deleteFirst ? try backend.rebuild(id: id, definition) : try backend.create(id: id, definition)
            }
            managed.state = .live(device)
            return deleteFirst ? "rebuilt with ADD_DEV under the same id (the driver had it \(had))"
                : "built with ADD_DEV under id \(id)"
        case .removeKernelDevice:
            if let device = managed.state.device {
                // The threads and descriptors are released even when STOP_DEV fails.
                managed.state = .stopped
                try kernelCall { () throws(EngineError) in try device.stopAndDelete() }
            } else {
                try kernelCall { () throws(EngineError) in try backend.remove(id) }
            }
            return nil
        case .resizeKernel(let bytes):
            guard let device = managed.state.device else { return nil }
            try kernelCall { () throws(EngineError) in try device.resize(to: bytes) }
            return "disk resized to the stored \(bytes) bytes"
        case .completeCreate:
            var running = record
            running.desiredState = .running
            let detail = managed.state.device.map { "\($0.blockDevicePath), \($0.ioDescription) I/O" }
            try save(managed, running, event: Self.event(record, .created, since: record.createdAt, detail: detail))
            return nil
        case .removeBackingFile:
            if let path = definition.target.path {
                try kernelCall { () throws(EngineError) in try backend.removeBackingFile(path) }
            }
            var kept = record
            kept.madeBackingFile = false
            managed.record = kept
            return nil
        case .forget:
            let event = record.desiredState == .deleting
                ? Self.event(record, .deleted, since: record.updatedAt)
                : Self.event(record, .createFailed, since: record.createdAt,
                             error: undoReason ?? "cut short by a daemon restart; undone")
            try write { transaction in
                try transaction.deleteDevice(id: id)
                try transaction.appendEvent(event)
            }
            devices.withLock { table in
                if table[id] === managed { table[id] = nil }
            }
            return nil
        case .waitForQuiesce, .settled, .refuse:
            return nil
        }
    }

    /// An engine call whose failure is the daemon's `.kernel`.
    func kernelCall<T>(_ body: () throws(EngineError) -> T) throws(DaemonError) -> T {
        do {
            return try body()
        } catch {
            throw .kernel(error)
        }
    }

    static func failure(of error: DaemonError) -> DeviceLifecycle.Failure {
        if case .kernel(.controlCommand(.startUserRecovery, _, .invalidArgument)) = error { return .recoveryRefused }
        return .failed(error.description)
    }

    static func stateName(_ kernel: KernelObservation) -> String {
        guard case .present(let device) = kernel else { return "no device" }
        return device.state?.description ?? "in an unknown state"
    }

    static func describe(_ action: DeviceLifecycle.Action) -> String {
        switch action {
        case .recover: "user recovery"
        case .rebuild(let deleteFirst): deleteFirst ? "rebuilding the device" : "building the device"
        case .removeKernelDevice: "removing the kernel device"
        case .resizeKernel: "resizing the disk"
        case .completeCreate: "storing the finished create"
        case .removeBackingFile: "removing the backing file the create made"
        case .forget: "removing the stored definition"
        case .waitForQuiesce, .settled, .refuse: "\(action)"
        }
    }
}
