import Foundation

/// What the machine running the tests offers. Kernel tests are enabled only where the ublk driver exists (inside
/// the VM that `make test` boots); on the host they show as skipped with `Probes.ublkSkipReason`.
public enum Probes {
    public static var hasUblk: Bool { access("/dev/ublk-control", R_OK | W_OK) == 0 }
    public static var isRoot: Bool { geteuid() == 0 }
    public static var insideTestVM: Bool { ProcessInfo.processInfo.environment["UBLKD_VM"] == "1" }
    /// "stable" or "newest" inside the VM.
    public static var vmKernel: String? { ProcessInfo.processInfo.environment["UBLKD_VM_KERNEL"] }

    public static let ublkSkipReason =
        "needs /dev/ublk-control (the ublk_drv kernel driver) and root: runs inside the QEMU VM of `make test`"

    public static var canRunKernelTests: Bool { hasUblk && isRoot }
}
