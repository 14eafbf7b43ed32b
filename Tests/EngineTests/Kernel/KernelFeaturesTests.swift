import DeviceModel
import Engine
import Foundation
import SystemPackage
import Testing
import TestSupport
import UblkABI

/// The chain Swift -> liburing -> URING_CMD -> the real driver, proven by its answer to GET_FEATURES.
@Suite("Kernel: the driver answers GET_FEATURES", .enabled(if: KernelHarness.enabled, KernelHarness.skipReason))
struct KernelFeaturesTests {
    @Test func featuresOfTheRunningDriver() throws {
        let control = try ControlDevice()
        let release = try Shell.run(["uname", "-r"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        print("kernel \(release) (\(Probes.vmKernel ?? "host")): GET_FEATURES = \(control.features)")
        #expect(control.features.contains(.userRecovery))
        #expect(control.features.contains(.userRecoveryReissue))
        #expect(control.features.contains(.commandIoctlEncode))
        if Probes.vmKernel == "newest" {
            for needed: Features in [.userRecoveryFailIO, .updateSize, .autoBufferRegistration, .quiesce] {
                #expect(control.features.contains(needed), "7.x must offer \(needed.names)")
            }
        }
    }

    @Test func anUnknownDeviceIsATypedError() throws {
        let control = try ControlDevice()
        do {
            _ = try control.deviceInfo(DeviceDefinition.Limits.maxDeviceID)
            Issue.record("GET_DEV_INFO of a device that does not exist succeeded")
        } catch {
            #expect(error == .controlCommand(.getDeviceInfo, deviceID: DeviceDefinition.Limits.maxDeviceID, errno: .operationNotSupportedByDevice))
        }
    }
}
