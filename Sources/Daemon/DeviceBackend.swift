import DeviceModel
import Engine
import UblkABI

/// Everything the lifecycle's actions do outside the store: kernel devices through the engine, and the backing
/// files a create makes. One protocol so that the daemon's logic runs against a fake on the host (tests) and
/// against the real driver in production, with the same interpreter.
package protocol DeviceBackend: Sendable {
    /// What the driver offers; throws `kernelUnavailable` without a driver.
    func features() throws(EngineError) -> Features
    /// The machine the devices run on (`"queues": "auto"` takes its CPU count).
    var host: HostLimits { get }
    /// Refuses what cannot work, before anything is stored or asked of the kernel.
    func check(_ definition: DeviceDefinition) throws(EngineError)
    /// Refuses a backing path outside the allowed directories (403), before anything is stored.
    func checkBackingPath(_ path: String, creating: Bool) throws(EngineError)
    func observe(_ id: UInt32) throws(EngineError) -> KernelObservation
    func create(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice
    func rebuild(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice
    func recover(id: UInt32, _ definition: DeviceDefinition) throws(EngineError) -> any ServedDevice
    /// Stops and deletes a kernel device this process does not serve.
    func remove(_ id: UInt32) throws(EngineError)
    func createBackingFile(_ path: String, size: UInt64) throws(EngineError)
    func removeBackingFile(_ path: String) throws(EngineError)
    func backingFileExists(_ path: String) -> Bool
    /// The size of an existing backing file or block device, nil when it cannot be opened.
    func backingFileSize(_ path: String) -> UInt64?
    /// What an NBD export offers, from a connection made and closed for the asking.
    func probeExport(_ uri: String) throws(EngineError) -> NBDExport
    /// Ids of every device the driver has (sysfs: no control command), ascending: for picking a free one, and for
    /// /health to walk beside the device table (in id order too) without hashing either.
    func kernelDeviceIDs() -> [UInt32]
}

/// A device this process serves, as the daemon needs it.
package protocol ServedDevice: AnyObject, Sendable {
    var blockDevicePath: String { get }
    var ioMode: IOMode { get }
    var batchIO: Bool { get }
    var ioDescription: String { get }
    var startedAt: ContinuousClock.Instant { get }
    func queueStatistics() -> [IOCounters]
    /// Whether it has connections to report (a network target); fixed while it is served.
    var hasConnections: Bool { get }
    /// The target's connections, for network targets.
    var connectionStatus: ConnectionStatus? { get }
    /// STOP_DEV then DEL_DEV, the threads and descriptors released.
    func stopAndDelete() throws(EngineError)
    /// Leaves the device to the driver for the next server (daemon restart).
    func handOver()
    /// Checks a resize and grows the backing store, before the new size is stored.
    func prepareResize(to bytes: UInt64) throws(EngineError)
    func resize(to bytes: UInt64) throws(EngineError)
}

extension Device: ServedDevice {
    package func stopAndDelete() throws(EngineError) {
        try stop()
        try delete()
    }
}
