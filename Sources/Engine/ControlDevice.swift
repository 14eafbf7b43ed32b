import Glibc
import SystemPackage
import UblkABI
import URing

/// `/dev/ublk-control`: every command the engine sends about devices, one synchronous call each.
///
/// Each command runs on a fresh two-entry SQE128 ring, so calls from several threads never wait on each other: a
/// START_DEV that blocks until a device's queues are ready does not hold up GET_DEV_INFO of another device.
public final class ControlDevice: Sendable {
    public static let defaultPath = "/dev/ublk-control"

    let descriptor: Int32
    /// What GET_FEATURES answered (empty on kernels before 6.5, which do not have it).
    public let features: Features
    /// Whether to send `UBLK_U_CMD_*` codes; drivers without `CMD_IOCTL_ENCODE` only know the legacy ones.
    let ioctlEncoded: Bool

    public init(path: String = ControlDevice.defaultPath) throws(EngineError) {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let error = Errno(rawValue: errno)
            switch error {
            case .noSuchFileOrDirectory:
                throw .kernelUnavailable(reason: "\(path) does not exist; load the driver with `modprobe ublk_drv`")
            case .permissionDenied, .notPermitted:
                throw .kernelUnavailable(reason: "cannot open \(path): \(error); run as root")
            default:
                throw .kernelUnavailable(reason: "cannot open \(path): \(error)")
            }
        }
        descriptor = fd
        // GET_FEATURES exists only ioctl-encoded. A kernel that does not know it predates 6.5; whether it still
        // takes encoded codes (6.4) cannot be told apart from 6.1-6.3, so it gets the legacy ones, which all accept.
        var answered: UInt64 = 0
        let result = withUnsafeMutableBytes(of: &answered) { buffer in
            Self.send(fd: fd, code: ControlOpcode.getFeatures.rawValue,
                      command: ControlCommand(deviceID: 0, length: 8, address: UInt64(UInt(bitPattern: buffer.baseAddress))))
        }
        switch result {
        case .success:
            features = Features(rawValue: answered)
            ioctlEncoded = features.contains(.commandIoctlEncode)
        case .failure:
            features = []
            ioctlEncoded = false
        }
    }

    deinit { close(descriptor) }

    // MARK: commands

    public func addDevice(_ info: DeviceInfo) throws(EngineError) -> DeviceInfo {
        var inOut = info
        try withUnsafeMutableBytes(of: &inOut) { (buffer) throws(EngineError) in
            _ = try run(.addDevice, deviceID: info.deviceID, buffer: buffer)
        }
        return inOut
    }

    public func deviceInfo(_ deviceID: UInt32) throws(EngineError) -> DeviceInfo {
        var info = DeviceInfo.zero
        try withUnsafeMutableBytes(of: &info) { (buffer) throws(EngineError) in
            _ = try run(.getDeviceInfo, deviceID: deviceID, buffer: buffer)
        }
        return info
    }

    public func setParams(_ deviceID: UInt32, _ params: Params) throws(EngineError) {
        var copy = params
        try withUnsafeMutableBytes(of: &copy) { (buffer) throws(EngineError) in
            _ = try run(.setParams, deviceID: deviceID, buffer: buffer)
        }
    }

    public func params(_ deviceID: UInt32) throws(EngineError) -> Params {
        var params = Params()
        try withUnsafeMutableBytes(of: &params) { (buffer) throws(EngineError) in
            _ = try run(.getParams, deviceID: deviceID, buffer: buffer)
        }
        return params
    }

    /// Blocks until every queue has fetched every tag and the disk exists.
    public func startDevice(_ deviceID: UInt32, serverPID: Int32) throws(EngineError) {
        _ = try run(.startDevice, deviceID: deviceID, data: UInt64(serverPID))
    }

    public func stopDevice(_ deviceID: UInt32) throws(EngineError) {
        _ = try run(.stopDevice, deviceID: deviceID)
    }

    /// Deletes the device without ever hanging: the synchronous DEL_DEV waits for the last opener of the disk, so
    /// a file system still mounted on it would block the caller forever. DEL_DEV_ASYNC (6.9+) returns at once;
    /// then this waits, bounded, for the driver to free the id, which takes moments unless something holds the
    /// disk. Kernels without DEL_DEV_ASYNC get the synchronous command.
    public func deleteDevice(_ deviceID: UInt32, releaseTimeout: Duration = .seconds(10)) throws(EngineError) {
        do {
            _ = try run(.deleteDeviceAsync, deviceID: deviceID)
        } catch {
            guard error.controlErrno == .notSupported || error.controlErrno == .invalidArgument else { throw error }
            _ = try run(.deleteDevice, deviceID: deviceID)
            return
        }
        let deadline = ContinuousClock.now + releaseTimeout
        while ContinuousClock.now < deadline {
            do {
                _ = try deviceInfo(deviceID)
            } catch {
                return
            }
            usleep(20_000)
        }
    }

    public func startUserRecovery(_ deviceID: UInt32) throws(EngineError) {
        _ = try run(.startUserRecovery, deviceID: deviceID)
    }

    public func endUserRecovery(_ deviceID: UInt32, serverPID: Int32) throws(EngineError) {
        _ = try run(.endUserRecovery, deviceID: deviceID, data: UInt64(serverPID))
    }

    public func quiesceDevice(_ deviceID: UInt32, timeoutMilliseconds: UInt64) throws(EngineError) {
        _ = try run(.quiesceDevice, deviceID: deviceID, data: timeoutMilliseconds)
    }

    public func updateSize(_ deviceID: UInt32, sectors: UInt64) throws(EngineError) {
        _ = try run(.updateSize, deviceID: deviceID, data: sectors)
    }

    /// The CPUs the driver suggests for a queue, as CPU numbers.
    public func queueAffinity(_ deviceID: UInt32, queue: UInt16) throws(EngineError) -> [Int] {
        // A cpumask wide enough for any CPU count the machine can have (1024 CPUs).
        var mask = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                    UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        try withUnsafeMutableBytes(of: &mask) { (buffer) throws(EngineError) in
            _ = try run(.getQueueAffinity, deviceID: deviceID, queueID: queue, data: UInt64(queue), buffer: buffer)
        }
        let words = withUnsafeBytes(of: mask) { Array($0.bindMemory(to: UInt64.self)) }
        var cpus: [Int] = []
        for (word, bits) in words.enumerated() where bits != 0 {
            for bit in 0..<64 where bits & (1 << UInt64(bit)) != 0 { cpus.append(word * 64 + bit) }
        }
        return cpus
    }

    // MARK: transport

    func run(_ opcode: ControlOpcode, deviceID: UInt32, queueID: UInt16 = ControlCommand.noQueue, data: UInt64 = 0,
             buffer: UnsafeMutableRawBufferPointer? = nil) throws(EngineError) -> Int32 {
        let command = ControlCommand(
            deviceID: deviceID, queueID: queueID, length: UInt16(buffer?.count ?? 0),
            address: UInt64(UInt(bitPattern: buffer?.baseAddress)), data: data)
        switch Self.send(fd: descriptor, code: opcode.code(ioctlEncoded: ioctlEncoded), command: command) {
        case .success(let value): return value
        case .failure(let errno): throw .controlCommand(opcode, deviceID: deviceID, errno: errno)
        }
    }

    static func send(fd: Int32, code: UInt32, command: ControlCommand) -> Result<Int32, Errno> {
        do {
            let ring = try Ring(entries: 2, options: [.sqe128])
            try ring.prepareCommand(.descriptor(fd), operation: code, payload: command, userData: 1)
            try ring.submitAndWait(1)
            let completion = try ring.waitCompletion()
            if let error = completion.error { return .failure(error) }
            return .success(completion.result)
        } catch {
            return .failure(error)
        }
    }
}
