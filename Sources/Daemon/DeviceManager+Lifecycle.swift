import Engine
import Foundation
import HTTPAPI
import Store

extension DeviceManager {
    /// Removes the kernel device; the definition stays, with desired state `stopped`.
    public func stopDevice(id: UInt32) throws(APIError) -> DeviceView {
        let managed = try managed(id)
        let record = try record(id)
        return try managed.exclusively("stop") { () throws(APIError) -> DeviceView in
            let started = Date()
            switch managed.state {
            case .stopped: throw .conflict("device \(id) is already stopped")
            case .creating: throw .conflict("device \(id) is being created")
            default: break
            }
            try removeKernelDevice(managed)
            var stopped = record
            stopped.desiredState = .stopped
            stopped.lastError = nil
            try saving(stopped, event: Self.event(record, EventKind.stopped, since: started))
            deviceLogger(id).info("device stopped")
            return view(try self.record(id))
        }
    }

    /// Builds a stopped (or failed) device again under the same id, from its stored definition.
    public func startDevice(id: UInt32) throws(APIError) -> DeviceView {
        let managed = try managed(id)
        return try managed.exclusively("start") { () throws(APIError) -> DeviceView in
            switch managed.state {
            case .stopped, .failed: break
            default: throw .conflict("device \(id) is \(managed.state.name); only a stopped or failed device starts")
            }
            try bringUp(managed, kind: EventKind.started)
            return view(try self.record(id))
        }
    }

    /// Stops the device if needed and forgets its definition; the backing file stays. The history stays too.
    public func deleteDevice(id: UInt32) throws(APIError) {
        let managed = try managed(id)
        let record = try record(id)
        try managed.exclusively("delete") { () throws(APIError) in
            if case .creating = managed.state { throw .conflict("device \(id) is being created") }
            let started = Date()
            try removeKernelDevice(managed)
            do {
                try store.write { transaction in
                    try transaction.deleteDevice(id: id)
                    try transaction.appendEvent(Self.event(record, EventKind.deleted, since: started))
                }
            } catch {
                throw .unexpected(error, logger: logger)
            }
            devices.withLock { _ = $0.removeValue(forKey: id) }
            deviceLogger(id).info("device deleted")
        }
    }

    /// Runs the start-up procedure for one device on demand: user recovery if the driver holds it quiesced,
    /// a rebuild if the driver no longer has it.
    public func recoverDevice(id: UInt32) throws(APIError) -> DeviceView {
        let managed = try managed(id)
        return try managed.exclusively("recover") { () throws(APIError) -> DeviceView in
            switch managed.state {
            case .failed, .quiesced, .stopped: break
            default: throw .conflict("device \(id) is \(managed.state.name); only a failed or quiesced device recovers")
            }
            try bringUp(managed, kind: EventKind.manual)
            return view(try self.record(id))
        }
    }

    /// The shared path from stored definition to live device: recovery when the driver still has the device,
    /// a fresh build with the same id otherwise. Records the attempt; leaves the device `failed` with the reason
    /// if it does not work.
    @discardableResult
    func bringUp(_ managed: ManagedDevice, kind: String) throws(APIError) -> String {
        let id = managed.id
        let record = try record(id)
        let started = Date()
        let clock = ContinuousClock.now
        let log = deviceLogger(id)
        let previous = managed.state
        managed.state = .recovering
        do {
            let engine = try kernel.engine()
            let spec = try record.spec()
            let how: String
            let device: Device
            if var info = try? engine.control.deviceInfo(id) {
                info = try waitUntilServerless(engine, info)
                switch info.state {
                case .quiesced, .failIO:
                    guard info.flags.contains(.userRecovery) else {
                        throw APIError.conflict("device id \(id) exists in the kernel without user recovery")
                    }
                    do {
                        device = try engine.recover(spec)
                        how = "user recovery (the driver held it \(info.state!))"
                    } catch {
                        guard case .controlCommand(.startUserRecovery, _, .invalidArgument) = error else { throw error }
                        // 6.12 refuses a second START_USER_RECOVERY after a server died halfway through one:
                        // the device cannot be resumed, only rebuilt (held I/O fails, the data on disk stays).
                        try? engine.control.stopDevice(id)
                        try engine.control.deleteDevice(id)
                        device = try engine.create(spec)
                        how = "rebuilt with ADD_DEV: the driver refused user recovery after an interrupted one"
                    }
                default:
                    // DEAD: a device without recovery whose server died, or one never started. Nothing to resume.
                    try? engine.control.stopDevice(id)
                    try engine.control.deleteDevice(id)
                    device = try engine.create(spec)
                    how = "rebuilt with ADD_DEV under the same id (the driver had it \(info.state?.description ?? "?"))"
                }
            } else {
                device = try engine.create(spec)
                how = "rebuilt with ADD_DEV under the same id"
            }
            var running = record
            running.desiredState = .running
            running.lastError = nil
            try saving(running, event: Self.event(record, kind, since: started, detail: how))
            managed.state = .live(device)
            metrics.recordRecovery(kind: kind, outcome: "ok", duration: ContinuousClock.now - clock)
            log.info("device live: \(how)", metadata: ["ublk.event": "\(kind)"])
            return how
        } catch {
            let apiError = APIError.unexpected(error, logger: log)
            log.error("bringing the device up failed: \(apiError.message)", metadata: ["ublk.event": "\(kind)"])
            managed.state = .failed(apiError.message)
            metrics.recordRecovery(kind: kind, outcome: "failed", duration: ContinuousClock.now - clock)
            var failed = record
            failed.lastError = apiError.message
            try? saving(failed, event: Self.event(record, kind, since: started, error: apiError.message))
            if case .stopped = previous, kind == EventKind.started { managed.state = .stopped }
            throw apiError
        }
    }

    /// Stops and deletes whatever the driver has under this id: the device this process serves, or one left
    /// quiesced or half-recovered by a dead server.
    func removeKernelDevice(_ managed: ManagedDevice) throws(APIError) {
        if let device = managed.state.device {
            do {
                try device.stop()
                try device.delete()
            } catch {
                throw .from(error)
            }
        } else if let engine = kernel.current, (try? engine.control.deviceInfo(managed.id)) != nil {
            do {
                try? engine.control.stopDevice(managed.id)
                try engine.control.deleteDevice(managed.id)
            } catch {
                throw .from(error)
            }
        }
        managed.state = .stopped
    }

    func saving(_ record: DeviceRecord, event: EventRecord) throws(APIError) {
        do {
            try store.write { transaction in
                try transaction.updateDevice(record)
                try transaction.appendEvent(event)
            }
        } catch {
            throw .unexpected(error, logger: logger)
        }
    }
}

extension DeviceManager {
    /// Online resize, one story: the backing file grows, the driver takes the new size, the definition records it
    /// with an event. If the definition cannot be written, the driver goes back to the old size.
    public func resizeDevice(id: UInt32, _ request: ResizeDeviceRequest) throws(APIError) -> DeviceView {
        let managed = try managed(id)
        let record = try record(id)
        return try managed.exclusively("resize") { () throws(APIError) -> DeviceView in
            guard let device = managed.state.device else {
                throw .conflict("device \(id) is \(managed.state.name); only a live device is resized")
            }
            let engine = try kernel.engine()
            if !engine.features.contains(.updateSize) {
                throw APIError(.featureUnavailable, "online resize needs UBLK_F_UPDATE_SIZE, which this kernel "
                               + "(\(KernelInventory.release)) does not offer")
            }
            let old = record.sizeBytes
            guard request.size % UInt64(record.blockSize) == 0 else {
                throw .validation("size \(request.size) is not a multiple of the block size \(record.blockSize)")
            }
            if request.size < old && !request.allowShrink {
                throw .validation("size \(request.size) is smaller than the current \(old), which cuts off data; "
                                  + "send \"allow_shrink\": true to do it anyway")
            }
            let started = Date()
            do throws(EngineError) {
                try device.resize(to: request.size, features: engine.features)
            } catch {
                throw .from(error)
            }
            var resized = record
            resized.sizeBytes = request.size
            do throws(APIError) {
                try saving(resized, event: Self.event(record, EventKind.resize, since: started,
                                                      detail: "\(old) -> \(request.size) bytes"))
            } catch {
                try? device.resize(to: old, features: engine.features)
                throw error
            }
            return view(try self.record(id))
        }
    }
}
