import DeviceModel
import Engine
import Foundation
import HTTPAPI
import Store

/// Every operation is one story: check what can be checked without side effects, store what the device should be
/// (before any kernel change that depends on it), then converge. A crash at any point leaves a stored state that
/// the next start converges to in the same way.
extension DeviceManager {
    func create(_ request: CreateDeviceRequest) throws(DaemonError) -> DeviceView {
        try checkStoreLoaded()
        var definition = request.definition
        if request.queuesPerCPU { definition.queues = backend.host.cpuCount }
        if case .file(let path) = definition.target {
            try kernelCall { () throws(EngineError) in try backend.checkBackingPath(path, creating: request.create) }
            let exists = backend.backingFileExists(path)
            if request.create && exists {
                throw .conflict("backing file \(path) exists; leave out \"create\" to use it")
            }
            if !request.create {
                guard exists, let available = backend.backingFileSize(path) else {
                    throw .backingStore("backing file \(path) does not exist")
                }
                let block = UInt64(definition.blockSize)
                if request.sizeFromBackingStore {
                    definition.sizeBytes = available / block * block
                    if definition.sizeBytes == 0 { throw .invalid("backing file \(path) is empty; give a \"size\"") }
                } else if definition.sizeBytes > available {
                    throw .backingStore("size \(definition.sizeBytes) is beyond the end of \(path) "
                                        + "(\(available) bytes)")
                }
            }
        }
        if case .nbd(let export) = definition.target {
            let offered = try kernelCall { () throws(EngineError) in try backend.probeExport(export.uri) }
            let block = UInt64(definition.blockSize)
            if request.sizeFromBackingStore {
                definition.sizeBytes = offered.sizeBytes / block * block
                if definition.sizeBytes == 0 { throw .invalid("the export \(export.displayURI) is empty") }
            }
            // A read-only export makes a read-only device; one that takes a single connection, a single queue.
            if offered.readOnly { definition.readOnly = true }
            if request.queuesPerCPU && !offered.canMultiConn { definition.queues = 1 }
            if let refusal = offered.refusal(sizeBytes: definition.sizeBytes, readOnly: definition.readOnly,
                                             queues: definition.queues) {
                throw .backingStore("\(export.displayURI): \(refusal)")
            }
        }
        // Bad input and missing kernel features are refused before anything is stored.
        try kernelCall { () throws(EngineError) in try backend.check(definition) }

        let managed = try reserve(definition, madeBackingFile: request.create)
        let id = managed.id
        let log = deviceLogger(id)
        do throws(DaemonError) {
            if request.create, case .file(let path) = definition.target {
                try kernelCall { () throws(EngineError) in
                    try backend.createBackingFile(path, size: definition.sizeBytes)
                }
            }
            // What is built is what was stored, read back: a definition that does not survive the round trip
            // fails here, not at the first restart.
            guard let stored = try read({ try $0.device(id: id) }) else {
                throw .store(.notFound(id))
            }
            managed.record = stored
            _ = try converge(managed)
            log.info("device created", metadata: [
                "ublk.name": "\(stored.name)", "ublk.target": "\(stored.definition.target.kind.rawValue)",
            ])
            return view(managed)
        } catch {
            log.warning("create failed, undoing it: \(error)")
            managed.state = .recovering
            do {
                _ = try converge(managed, createAbandoned: true, undoReason: Self.apiMessage(error))
            } catch let undo {
                log.error("could not undo the failed create: \(undo)")
                managed.state = .failed("create failed and could not be undone: \(undo)")
            }
            throw error
        }
    }

    /// Picks a free id and writes the row (desired state `creating`), atomically with respect to other creates,
    /// and registers the device as being created.
    func reserve(_ definition: DeviceDefinition, madeBackingFile: Bool) throws(DaemonError) -> ManagedDevice {
        try reservation.withLock { _ throws(DaemonError) -> ManagedDevice in
            let inUse = Set(backend.kernelDeviceIDs()).union(devices.withLock { $0.ids })
            let now = Date()
            let record = try write { transaction in
                if try transaction.device(named: definition.name) != nil {
                    throw StoreError.nameTaken(definition.name)
                }
                let id = try transaction.freeDeviceID(excluding: inUse)
                return try transaction.insertDevice(
                    .creating(id: id, definition: definition, madeBackingFile: madeBackingFile, at: now))
            }
            let managed = ManagedDevice(record: record, state: .creating)
            devices.withLock { $0[record.id] = managed }
            return managed
        }
    }

    /// Builds a stopped (or failed) device again under the same id, from its stored definition.
    func start(id: UInt32) throws(DaemonError) -> DeviceView {
        try bringUp(id, kind: .started, allowed: [.stopped, .failed])
    }

    /// The start-up procedure for one device on demand: user recovery if the driver holds it quiesced, a rebuild if
    /// the driver no longer has it.
    func recover(id: UInt32) throws(DaemonError) -> DeviceView {
        try bringUp(id, kind: .manual, allowed: [.failed, .quiesced, .stopped])
    }

    private func bringUp(_ id: UInt32, kind: EventKind,
                         allowed: Set<RuntimeState.Kind>) throws(DaemonError) -> DeviceView {
        let managed = try managed(id)
        return try managed.exclusively { () throws(DaemonError) -> DeviceView in
            let state = managed.state
            guard allowed.contains(state.kind) else {
                let names = allowed.map(\.name).sorted().joined(separator: ", ")
                throw .conflict("device \(id) is \(state.name); only a \(names) "
                                + "device can be brought up this way")
            }
            let before = managed.record
            let started = Date()
            let clock = ContinuousClock.now
            var running = before
            running.desiredState = .running
            try save(managed, running)
            managed.state = .recovering
            do throws(DaemonError) {
                let done = try converge(managed)
                metrics.recordRecovery(kind: kind.rawValue, outcome: "ok", duration: ContinuousClock.now - clock)
                try save(managed, clearedError(managed.record),
                         event: Self.event(before, kind, since: started, detail: done.detail))
            } catch {
                metrics.recordRecovery(kind: kind.rawValue, outcome: "failed", duration: ContinuousClock.now - clock)
                let message = Self.apiMessage(error)
                managed.state = .failed(message)
                var failed = managed.record
                failed.lastError = message
                // A device that was stopped stays stopped when it cannot start.
                if before.desiredState == .stopped { failed.desiredState = .stopped }
                try? save(managed, failed, event: Self.event(before, kind, since: started, error: message))
                if before.desiredState == .stopped, managed.state.device == nil { managed.state = .stopped }
                throw error
            }
            return view(managed)
        }
    }

    /// Removes the kernel device; the definition stays, with desired state `stopped`.
    func stop(id: UInt32) throws(DaemonError) -> DeviceView {
        let managed = try managed(id)
        return try managed.exclusively { () throws(DaemonError) -> DeviceView in
            switch managed.state {
            case .stopped: throw .conflict("device \(id) is already stopped")
            case .creating: throw .conflict("device \(id) is being created")
            default: break
            }
            let started = Date()
            var stopped = managed.record
            stopped.desiredState = .stopped
            stopped.lastError = nil
            try save(managed, stopped)
            try convergeOrFail(managed)
            managed.state = .stopped
            try save(managed, managed.record, event: Self.event(stopped, .stopped, since: started))
            deviceLogger(id).info("device stopped")
            return view(managed)
        }
    }

    /// Stops the device if needed and forgets its definition; the backing file stays. The history stays too.
    func delete(id: UInt32) throws(DaemonError) {
        let managed = try managed(id)
        try managed.exclusively { () throws(DaemonError) in
            if case .creating = managed.state { throw .conflict("device \(id) is being created") }
            var deleting = managed.record
            deleting.desiredState = .deleting
            try save(managed, deleting)
            try convergeOrFail(managed)
            deviceLogger(id).info("device deleted")
        }
    }

    /// Online resize: the backing store grows first, then the stored size, then the driver's. A crash between the
    /// last two is finished by the next start (the served disk is resized to the stored size).
    func resize(id: UInt32, _ request: ResizeDeviceRequest) throws(DaemonError) -> DeviceView {
        let managed = try managed(id)
        return try managed.exclusively { () throws(DaemonError) -> DeviceView in
            guard let device = managed.state.device else {
                throw .conflict("device \(id) is \(managed.state.name); only a live device is resized")
            }
            let before = managed.record
            let old = before.definition.sizeBytes
            if request.size < old && !request.allowShrink {
                throw .invalid("size \(request.size) is smaller than the current \(old), which cuts off data; "
                               + "send \"allow_shrink\": true to do it anyway")
            }
            let started = Date()
            try kernelCall { () throws(EngineError) in try device.prepareResize(to: request.size) }
            var resized = before
            resized.definition.sizeBytes = request.size
            try save(managed, resized)
            do throws(DaemonError) {
                _ = try converge(managed)
            } catch {
                try? save(managed, before)
                try? device.resize(to: old)
                throw error
            }
            try save(managed, managed.record, event: Self.event(before, .resize, since: started,
                                                                 detail: "\(old) -> \(request.size) bytes"))
            return view(managed)
        }
    }

    /// Converges; a device that cannot get where it should be shows `failed` with the reason.
    func convergeOrFail(_ managed: ManagedDevice) throws(DaemonError) {
        do {
            _ = try converge(managed)
        } catch {
            managed.state = .failed(Self.apiMessage(error))
            throw error
        }
    }

    func clearedError(_ record: DeviceRecord) -> DeviceRecord {
        var cleared = record
        cleared.lastError = nil
        return cleared
    }
}
