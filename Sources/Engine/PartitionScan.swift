import UblkABI

/// Whether a device must start without the kernel's partition scan.
///
/// A 6.12 START_DEV reads the partition table inside `add_disk`, holding the device's mutex, and that read is served
/// by this daemon. Killed in that window, the daemon's queue threads give the read back to the driver, which parks
/// it until a recovery; the recovery, a stop and a delete all need the mutex, the driver's own quiesce work waits for
/// it, and the dying daemon cannot finish exiting while its control thread sits in `add_disk`. The device then stays
/// wedged until the host reboots. Such a kernel skips the scan when a queue's fetches come from a thread without
/// CAP_SYS_ADMIN, so there ublkd fetches that way: no I/O runs under the lock, and the disk shows no partitions
/// (`losetup -P` or kpartx on top of it do). Kernels that scan in a work item after START_DEV returns are also the
/// ones that offer NO_AUTO_PART_SCAN (7.x, both checked against the 6.12 and 7.3 sources); there the scan stays.
enum PartitionScan {
    static func holdsDeviceLock(offered: Features) -> Bool { !offered.contains(.noAutoPartitionScan) }
}
