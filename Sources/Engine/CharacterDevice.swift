import Glibc
import SystemPackage

/// `/dev/ublkcN`: the per-device char node that queues map and send I/O commands on.
enum CharacterDevice {
    static func path(deviceID: UInt32) -> String { "/dev/ublkc\(deviceID)" }

    /// Opens the node, waiting while devtmpfs has not made it yet (ENOENT right after ADD_DEV) or udev or a dying
    /// previous server still holds it (EBUSY: the driver allows one opener).
    static func open(deviceID: UInt32, timeoutMilliseconds: Int = 10_000) throws(EngineError) -> Int32 {
        let path = path(deviceID: deviceID)
        var waited = 0
        while true {
            let fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
            if fd >= 0 { return fd }
            let error = Errno(rawValue: errno)
            guard error == .noSuchFileOrDirectory || error == .resourceBusy, waited < timeoutMilliseconds else {
                throw .system("open \(path)", errno: error)
            }
            usleep(10_000)
            waited += 10
        }
    }
}
