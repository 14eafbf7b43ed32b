import Engine
import HTTPAPI
import Store

/// The stored definition read back as an engine spec: the one path from definition to device, whether the device
/// is created, started again, or rebuilt after a reboot.
extension DeviceRecord {
    func spec() throws(APIError) -> DeviceSpec {
        let targetSpec: TargetSpec
        switch target {
        case "null": targetSpec = .null
        case "memory": targetSpec = .memory
        case "file":
            guard let path else { throw APIError(.internal, "stored file device \(id) has no path") }
            targetSpec = .file(path: path)
        default:
            throw APIError(.internal, "stored device \(id) has an unknown target \(target)")
        }
        guard let recoveryMode = RecoveryMode(rawValue: recovery) else {
            throw APIError(.internal, "stored device \(id) has an unknown recovery mode \(recovery)")
        }
        return DeviceSpec(deviceID: id, target: targetSpec, sizeBytes: sizeBytes, queues: queues,
                          queueDepth: queueDepth, logicalBlockSize: blockSize, maxIOBytes: maxIOBytes,
                          readOnly: readOnly, recovery: recoveryMode, ioMode: IOModePreference(rawValue: ioMode) ?? .auto,
                          pinQueues: pinQueues, queueThreads: queueThreads, batchIO: batchIO)
    }
}
