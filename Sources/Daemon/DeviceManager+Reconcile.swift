import Engine
import Dispatch
import Foundation
import HTTPAPI
import Store
import Synchronization
import UblkABI

extension DeviceManager {
    /// Before the API answers: every stored device whose desired state is running is brought back (user recovery
    /// where the driver still holds it, a rebuild under the same id where it does not); an interrupted create is
    /// undone. A device that cannot come back is `failed` with its reason; the others still come back.
    func reconcile() {
        let started = Date()
        let records: [DeviceRecord]
        do {
            records = try store.devices()
        } catch {
            logger.error("cannot read the stored devices: \(error)")
            return
        }
        let inKernel = KernelInventory.deviceIDs()
        var toBringUp: [(ManagedDevice, String)] = []
        for record in records {
            let managed = ManagedDevice(id: record.id, state: .stopped)
            devices.withLock { $0[record.id] = managed }
            switch record.desiredState {
            case .stopped:
                continue
            case .creating:
                undoInterruptedCreate(record, managed)
            case .running:
                toBringUp.append((managed, inKernel.contains(record.id) ? EventKind.crashRecovery : EventKind.recreate))
            }
        }
        // Devices come back side by side: most of a recovery is waiting on the driver, and one slow device
        // (its old server's char device still being released) must not hold up the others.
        let outcomes = Mutex((recovered: 0, recreated: 0, failed: 0))
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: 8)
        for (managed, kind) in toBringUp {
            slots.wait()
            group.enter()
            Thread.detachNewThread {
                defer {
                    slots.signal()
                    group.leave()
                }
                let succeeded = (try? self.bringUp(managed, kind: kind)) != nil
                outcomes.withLock { counts in
                    if !succeeded {
                        counts.failed += 1
                    } else if kind == EventKind.crashRecovery {
                        counts.recovered += 1
                    } else {
                        counts.recreated += 1
                    }
                }
            }
        }
        group.wait()
        let (recovered, recreated, failed) = outcomes.withLock { $0 }
        let report = HealthView.StartReport(
            startedAt: started, durationMs: Int64((Date().timeIntervalSince(started) * 1000).rounded()),
            recovered: recovered, recreated: recreated, failed: failed)
        lastStart.withLock { $0 = report }
        logger.info("start-up reconciliation done", metadata: [
            "ublk.recovered": "\(recovered)", "ublk.recreated": "\(recreated)", "ublk.failed": "\(failed)",
            "ublk.duration_ms": "\(report.durationMs)",
        ])
    }

    /// The daemon died between writing the row and finishing the device: remove both, as the create would have.
    func undoInterruptedCreate(_ record: DeviceRecord, _ managed: ManagedDevice) {
        let started = Date()
        try? removeKernelDevice(managed)
        do {
            try store.write { transaction in
                try transaction.deleteDevice(id: record.id)
                try transaction.appendEvent(Self.event(record, EventKind.createFailed, since: started,
                                                       error: "interrupted by a daemon restart; undone"))
            }
        } catch {
            logger.error("cannot remove the interrupted create of device \(record.id): \(error)")
        }
        devices.withLock { _ = $0.removeValue(forKey: record.id) }
    }

    /// Hands every served device over to the driver for the next ublkd: the queue threads leave and, for devices
    /// with user recovery, the driver holds their I/O until a new server recovers them.
    func handOver() {
        let served = devices.withLock { Array($0.values) }
        for managed in served {
            guard let device = managed.state.device else { continue }
            device.handOver()
            managed.state = .quiesced
            deviceLogger(managed.id).info("device handed over to the driver")
        }
    }
}

extension DeviceManager {
    /// A device the driver still reports LIVE after its server died has not been noticed yet: wait (bounded) for
    /// the driver to quiesce it. A live server is another process; refuse to take its device.
    func waitUntilServerless(_ engine: Engine, _ info: DeviceInfo, timeout: Duration = .seconds(45))
        throws(APIError) -> DeviceInfo
    {
        var info = info
        let deadline = ContinuousClock.now + timeout
        while info.state == .live {
            let pid = info.serverPID
            if pid > 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM) {
                throw .conflict("device \(info.deviceID) is served by another live process (pid \(pid))")
            }
            guard ContinuousClock.now < deadline else {
                throw APIError(.internal, "device \(info.deviceID) stayed LIVE without a server for \(timeout)")
            }
            usleep(100_000)
            do {
                info = try engine.control.deviceInfo(info.deviceID)
            } catch {
                throw .from(error)
            }
        }
        return info
    }
}
