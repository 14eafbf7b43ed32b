import DeviceModel
import Engine
import Testing
import UblkABI

@Suite("io_mode: what a create asks for and what the device runs")
struct IOModeResolutionTests {
    /// GET_FEATURES of Debian's 6.12 and 7.3 kernels (ublk-protocol.md section 10).
    static let stable = Features(rawValue: 0x1FE)
    static let newest = Features(rawValue: 0x1F_FFFF)

    @Test func copyIsAlwaysCopy() {
        for features in [Self.stable, Self.newest] {
            for zeroCopyTarget in [true, false] {
                #expect(IOModePreference.copy.resolved(offered: features, targetSupportsZeroCopy: zeroCopyTarget)
                        == .copy)
            }
        }
    }

    @Test func zeroCopyOnlyWhereKernelAndTargetAllowIt() {
        #expect(IOModePreference.zeroCopy.resolved(offered: Self.newest, targetSupportsZeroCopy: true) == .zeroCopy)
        #expect(IOModePreference.zeroCopy.resolved(offered: Self.newest, targetSupportsZeroCopy: false) == nil)
        #expect(IOModePreference.zeroCopy.resolved(offered: Self.stable, targetSupportsZeroCopy: true) == nil)
    }

    @Test func autoNeverFailsAndKeepsCopyOnStable() {
        #expect(IOModePreference.auto.resolved(offered: Self.stable, targetSupportsZeroCopy: true) == .copy)
        #expect(IOModePreference.auto.resolved(offered: Self.newest, targetSupportsZeroCopy: false) == .copy)
    }

    @Test func autoTakesZeroCopyWhereTheKernelGrantsIt() {
        #expect(IOModePreference.auto.resolved(offered: Self.newest, targetSupportsZeroCopy: true) == .zeroCopy)
    }
}
