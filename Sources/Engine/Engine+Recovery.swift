import DeviceModel
import Glibc
import Logging
import UblkABI

extension Engine {
    /// Takes over a device whose server died, from the driver's own description of it: START_USER_RECOVERY
    /// (retried while the old server's char device is still being released), new queues fetch every tag, then
    /// END_USER_RECOVERY. On failure the device stays in the driver, quiesced, for another attempt or a delete.
    /// The queue layout and flags are the driver's, fixed at ADD_DEV, whatever the definition says now.
    public func recover(id: UInt32, _ definition: DeviceDefinition, releaseTimeout: Duration = .seconds(30))
        throws(EngineError) -> Device
    {
        do {
            try definition.validate(host: nil)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        let info = try control.deviceInfo(id)
        let log = deviceLogger(id)
        // The geometry is the driver's (SET_PARAMS is refused now); the backing store is checked before the
        // driver is asked to reset anything, so a missing file leaves the device exactly as it was.
        let geometry = try control.params(id)
        var recovered = definition
        recovered.sizeBytes = geometry.basic.deviceSectors * 512
        return try recoverAttach(recovered, openTarget(recovered), info, log, releaseTimeout)
    }

    func startUserRecovery(_ id: UInt32, releaseTimeout: Duration) throws(EngineError) {
        let deadline = ContinuousClock.now + releaseTimeout
        while true {
            do {
                try control.startUserRecovery(id)
                return
            } catch {
                guard error.controlErrno == .resourceBusy, ContinuousClock.now < deadline else { throw error }
                usleep(20_000)
            }
        }
    }

    /// Fault injection for the VM tests only: `UBLKD_TEST_RECOVERY_PAUSE_MS` holds a recovery between
    /// START_USER_RECOVERY and the queues' fetches, so a test can kill the daemon exactly there.
    static let recoveryPauseForTests: UInt32? = getenv("UBLKD_TEST_RECOVERY_PAUSE_MS")
        .flatMap { UInt32(String(cString: $0)) }.map { $0 * 1000 }

    func recoverAttach<T: Target>(_ definition: DeviceDefinition, _ target: T, _ info: DeviceInfo, _ log: Logger,
                                  _ releaseTimeout: Duration) throws(EngineError) -> Device
    {
        do {
            try startUserRecovery(info.deviceID, releaseTimeout: releaseTimeout)
        } catch {
            target.close()
            throw error
        }
        if let pause = Self.recoveryPauseForTests { usleep(pause) }
        let device = try attach(definition, target: target, info: info, log: log) { () throws(EngineError) in
            try control.endUserRecovery(info.deviceID, serverPID: getpid())
        }
        RequestTimeout.apply(deviceID: info.deviceID, log: log)
        log.info("device recovered", metadata: Self.metadata(info, target))
        return device
    }
}
