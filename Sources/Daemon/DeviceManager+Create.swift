import Engine
import Foundation
import HTTPAPI
import Store
import UblkABI

extension DeviceManager {
    /// One story: the row is written, the kernel device is built, the row says running. If any step fails, what
    /// was done is undone (kernel device, row, a backing file made for it) and an event row says why.
    public func createDevice(_ request: CreateDeviceRequest) throws(APIError) -> DeviceView {
        let started = Date()
        var size = request.size
        if request.target == "file", let path = request.path {
            try checkAllowed(path: path, creating: request.create)
            let exists = FileManager.default.fileExists(atPath: path)
            if request.create && exists {
                throw .conflict("backing file \(path) exists; leave out \"create\" to use it")
            }
            if !request.create {
                guard exists else { throw APIError(.backingStoreError, "backing file \(path) does not exist") }
                let available = Self.fileSize(path)
                if size == nil {
                    size = available / UInt64(request.blockSize) * UInt64(request.blockSize)
                    if size == 0 { throw .validation("backing file \(path) is empty; give a \"size\"") }
                } else if let size, size > available {
                    throw APIError(.backingStoreError, "size \(size) is beyond the end of \(path) (\(available) bytes)")
                }
            }
        }
        var spec = DeviceSpec(
            target: request.target == "file" ? .file(path: request.path!) : request.target == "null" ? .null : .memory,
            sizeBytes: size ?? 0, queues: request.queues, queueDepth: request.queueDepth,
            logicalBlockSize: request.blockSize, maxIOBytes: request.maxIOSize, readOnly: request.readOnly,
            recovery: RecoveryMode(rawValue: request.recovery) ?? .reissue,
            ioMode: IOModePreference(rawValue: request.ioMode) ?? .auto, pinQueues: request.pinQueues,
            queueThreads: request.queueThreads, batchIO: request.batchIO)
        do {
            try spec.validate()
        } catch {
            throw .from(error)
        }
        // Bad input is refused as such (400) before the driver is asked anything, even when it is missing.
        let engine = try kernel.engine()
        if request.recovery == RecoveryMode.failIO.rawValue && !engine.features.contains(.userRecoveryFailIO) {
            throw APIError(.featureUnavailable, "recovery \"fail_io\" needs UBLK_F_USER_RECOVERY_FAIL_IO, which this "
                           + "kernel (\(KernelInventory.release)) does not offer; use \"reissue\" or \"none\"")
        }
        if request.batchIO && !engine.features.contains(.batchIO) {
            throw APIError(.featureUnavailable, "batch_io needs UBLK_F_BATCH_IO, which this kernel "
                           + "(\(KernelInventory.release)) does not offer; leave batch_io false")
        }

        let record = try reserve(request, spec: spec)
        let id = record.id
        let log = deviceLogger(id)
        let managed = ManagedDevice(id: id, state: .creating)
        devices.withLock { $0[id] = managed }
        spec.deviceID = id
        var createdFile = false
        var device: Device?
        do throws(any Error) {
            if request.create, case .file(let path) = spec.target {
                try FileTarget.createSparse(path: path, size: spec.sizeBytes)
                createdFile = true
            }
            let built = try engine.create(spec)
            device = built
            var running = record
            running.desiredState = .running
            try store.write { transaction in
                try transaction.updateDevice(running)
                try transaction.appendEvent(Self.event(record, EventKind.created, since: started,
                                                       detail: "\(built.blockDevicePath), \(built.ioDescription) I/O"))
            }
            managed.state = .live(built)
            log.info("device created", metadata: ["ublk.name": "\(record.name)", "ublk.target": "\(record.target)"])
            return view(try self.record(id))
        } catch {
            let apiError = APIError.unexpected(error, logger: log)
            log.warning("create failed, undoing it: \(apiError.message)")
            if let device {
                try? device.stop()
                try? device.delete()
            }
            if createdFile, case .file(let path) = spec.target { unlink(path) }
            devices.withLock { _ = $0.removeValue(forKey: id) }
            do {
                try store.write { transaction in
                    try transaction.deleteDevice(id: id)
                    try transaction.appendEvent(Self.event(record, EventKind.createFailed, since: started,
                                                           error: apiError.message))
                }
            } catch {
                log.error("could not remove the row of the failed create: \(error)")
            }
            throw apiError
        }
    }

    /// Picks a free id and writes the row (desired state `creating`), atomically with respect to other creates.
    func reserve(_ request: CreateDeviceRequest, spec: DeviceSpec) throws(APIError) -> DeviceRecord {
        do {
            return try reservation.withLock { _ in
                if try store.device(named: request.name) != nil {
                    throw APIError.conflict("a device named \"\(request.name)\" exists")
                }
                let inUse = KernelInventory.deviceIDs().union(devices.withLock { Set($0.keys) })
                let id = try store.freeDeviceID(excluding: inUse)
                let now = Date()
                let record = DeviceRecord(
                    id: id, name: request.name, target: request.target, path: request.path,
                    sizeBytes: spec.sizeBytes, blockSize: spec.logicalBlockSize, queues: spec.queues,
                    queueDepth: spec.queueDepth, maxIOBytes: spec.maxIOBytes, readOnly: spec.readOnly,
                    recovery: request.recovery, ioMode: request.ioMode, pinQueues: request.pinQueues,
                    queueThreads: spec.queueThreads, batchIO: spec.batchIO,
                    desiredState: .creating, lastError: nil,
                    createdAt: now, updatedAt: now)
                return try store.insertDevice(record)
            }
        } catch {
            throw .unexpected(error, logger: logger)
        }
    }

    /// With `--allow-dir`, the backing path (symlinks resolved; for a file still to be made, its directory) must
    /// lie inside one of the allowed directories.
    func checkAllowed(path: String, creating: Bool) throws(APIError) {
        guard !configuration.allowedDirectories.isEmpty else { return }
        let resolved: String?
        if creating && !FileManager.default.fileExists(atPath: path) {
            let url = URL(fileURLWithPath: path)
            resolved = Self.realPath(url.deletingLastPathComponent().path).map { $0 + "/" + url.lastPathComponent }
        } else {
            resolved = Self.realPath(path)
        }
        guard let resolved else {
            throw APIError(.backingStoreError, "cannot resolve \(path)")
        }
        let inside = configuration.allowedDirectories.contains { directory in
            resolved.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
        }
        if !inside {
            throw APIError(.pathNotAllowed, "\(path) resolves to \(resolved), outside the allowed directories "
                           + configuration.allowedDirectories.joined(separator: ", "))
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func fileSize(_ path: String) -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        return UInt64(max(0, lseek(fd, 0, SEEK_END)))
    }

    static func event(_ record: DeviceRecord, _ kind: String, since started: Date, error: String? = nil,
                      detail: String? = nil) -> EventRecord {
        let finished = Date()
        return EventRecord(
            id: 0, deviceID: record.id, deviceName: record.name, kind: kind, startedAt: started,
            finishedAt: finished, durationMs: Int64((finished.timeIntervalSince(started) * 1000).rounded()),
            outcome: error == nil ? "ok" : "failed", error: error, detail: detail)
    }
}
