import Dispatch
import Foundation
import HTTPAPI
import Store
import Synchronization

extension DeviceManager {
    /// What the start-up leaves to store once every device is back: per device, its last error and the event row
    /// of how it came back.
    struct StartupRecord: Sendable {
        let managed: ManagedDevice
        let lastError: String?
        let event: EventRecord
    }

    /// Before the API answers: every stored device converges to its desired state (user recovery where the driver
    /// still holds it, a rebuild under the same id where it does not, a cut-short create undone, a cut-short delete
    /// or stop finished). A device that cannot come back is `failed` with its reason; the others still come back.
    ///
    /// Only reads of the store happen on the way: the event rows wait for `finishStartup`, so that a disk flooded by
    /// the backlog the recovered devices release cannot hold up their recovery.
    func reconcile(phases: StartupPhases) -> [StartupRecord] {
        let started = Date()
        let records: [DeviceRecord]
        do {
            records = try store.read { try $0.devices() }
        } catch {
            logger.critical("cannot read the stored devices: \(error); every device operation answers store_error")
            _ = storeFailed(error as? StoreError ?? .database("\(error)"), unreadable: true)
            return []
        }
        phases.reached("devices_read", ["ublk.devices": "\(records.count)"])
        var toConverge: [ManagedDevice] = []
        for record in records {
            let initial: RuntimeState = record.desiredState == .stopped ? .stopped : .recovering
            let managed = ManagedDevice(record: record, state: initial)
            devices.withLock { $0[record.id] = managed }
            toConverge.append(managed)
        }
        // Devices come back side by side: most of a recovery is waiting on the driver, and one slow device (its old
        // server's char device still being released) must not hold up the others.
        let outcomes = Mutex((recovered: 0, recreated: 0, failed: 0, records: [StartupRecord](), late: false))
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: 8)
        for managed in toConverge {
            slots.wait()
            group.enter()
            Thread.detachNewThread {
                defer {
                    slots.signal()
                    group.leave()
                }
                let outcome = self.bringBack(managed)
                let late = outcomes.withLock { $0.late }
                if late {
                    // The start-up went on without this device (see below): it stores its own history.
                    if let outcome { self.finishStartup([outcome]) }
                    return
                }
                outcomes.withLock { counts in
                    switch outcome?.event.outcome {
                    case nil: break
                    case "ok" where outcome?.event.kind == EventKind.crashRecovery.rawValue: counts.recovered += 1
                    case "ok": counts.recreated += 1
                    default: counts.failed += 1
                    }
                    if let outcome { counts.records.append(outcome) }
                }
            }
        }
        // A device the driver keeps in a state no command gets through (a request that never completes) must not
        // keep the API, and so every other device, unmanageable: past the limit the start-up goes on, and that
        // device shows `recovering` until its bring-up ends.
        if group.wait(timeout: .now() + patience.startup.seconds) == .timedOut {
            logger.error("start-up: devices still coming back after \(patience.startup); the API starts without them")
        }
        let (recovered, recreated, failed, pending) = outcomes.withLock { counts in
            counts.late = true
            return (counts.recovered, counts.recreated, counts.failed, counts.records)
        }
        // The recovery history only feeds the views: read once every device is back.
        let summaries = (try? store.read { try $0.eventSummaries(kinds: EventKind.recoveries) }) ?? [:]
        for managed in toConverge {
            managed.setRecoveries(summaries[managed.id] ?? EventSummary(count: 0, last: nil))
        }
        for item in pending { item.managed.noteRecovery(item.event) }
        phases.reached("devices_back", [
            "ublk.recovered": "\(recovered)", "ublk.recreated": "\(recreated)", "ublk.failed": "\(failed)",
        ])
        let report = HealthView.StartReport(
            startedAt: started, durationMs: Int64((Date().timeIntervalSince(started) * 1000).rounded()),
            recovered: recovered, recreated: recreated, failed: failed)
        lastStart.withLock { $0 = report }
        logger.info("start-up reconciliation done", metadata: [
            "ublk.recovered": "\(recovered)", "ublk.recreated": "\(recreated)", "ublk.failed": "\(failed)",
            "ublk.duration_ms": "\(report.durationMs)",
        ])
        return pending
    }

    /// Converges one stored device at start-up. Returns what to store for a device that should run (nil for the
    /// others: their convergence stored what it had to).
    private func bringBack(_ managed: ManagedDevice) -> StartupRecord? {
        let record = managed.record
        let log = deviceLogger(record.id)
        let started = Date()
        let clock = ContinuousClock.now
        do {
            let done = try converge(managed)
            switch done.settled {
            case .live:
                let kind: EventKind = done.foundInKernel ? .crashRecovery : .recreate
                metrics.recordRecovery(kind: kind.rawValue, outcome: "ok", duration: ContinuousClock.now - clock)
                log.info("device live: \(done.detail ?? "already served")", metadata: [
                    "ublk.event": "\(kind.rawValue)",
                    "ublkd.ms": "\(StartupPhases.millisecondsSinceProcessStart() ?? -1)",
                ])
                return StartupRecord(managed: managed, lastError: nil,
                                     event: Self.event(record, kind, since: started, detail: done.detail))
            case .stopped:
                managed.state = .stopped
                return nil
            case .gone:
                return nil
            }
        } catch {
            let message = Self.apiMessage(error)
            managed.state = .failed(message)
            guard record.desiredState == .running else {
                log.error("could not finish what the stored state asks (\(record.desiredState.rawValue)): \(message)")
                return nil
            }
            let kind: EventKind = (backend.kernelDeviceIDs().contains(record.id)) ? .crashRecovery : .recreate
            metrics.recordRecovery(kind: kind.rawValue, outcome: "failed", duration: ContinuousClock.now - clock)
            log.error("bringing the device back failed: \(message)", metadata: ["ublk.event": "\(kind.rawValue)"])
            return StartupRecord(managed: managed, lastError: message,
                                 event: Self.event(record, kind, since: started, error: message))
        }
    }

    /// After the API answers: the start-up's event rows and errors, in one transaction. A device an operator
    /// already changed keeps what the operator did; only its event is added.
    func finishStartup(_ pending: [StartupRecord]) {
        guard !pending.isEmpty else { return }
        do {
            let events = try write { transaction in
                try pending.map { item in
                    // Read under the write lock: an operation that ran meanwhile has the last word on the record.
                    if var current = try transaction.device(id: item.managed.id), current.desiredState == .running,
                       current.lastError != item.lastError
                    {
                        current.lastError = item.lastError
                        try transaction.updateDevice(current)
                    }
                    return try transaction.appendEvent(item.event)
                }
            }
            for (item, event) in zip(pending, events) {
                item.managed.update { record in
                    if record.desiredState == .running { record.lastError = item.lastError }
                }
                item.managed.replaceLastRecovery(event)
            }
        } catch {
            logger.error("cannot store the start-up's recovery history: \(error)")
        }
    }

    /// Hands every served device over to the driver for the next ublkd: the queue threads leave and, for devices
    /// with user recovery, the driver holds their I/O until a new server recovers them.
    func handOver() {
        let served = devices.withLock { $0.ordered }
        for managed in served {
            guard let device = managed.state.device else { continue }
            device.handOver()
            managed.state = .quiesced
            deviceLogger(managed.id).info("device handed over to the driver")
        }
    }
}
