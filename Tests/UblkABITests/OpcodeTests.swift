import CUblk
import Glibc
import Testing
import UblkABI

@Suite("Opcodes and flags are pinned to the vendored header")
struct OpcodeTests {
    @Test func controlOpcodesEqualTheHeaderMacros() {
        let header: [ControlOpcode: UInt32] = [
            .getQueueAffinity: cublk_u_cmd_get_queue_affinity(), .getDeviceInfo: cublk_u_cmd_get_dev_info(),
            .addDevice: cublk_u_cmd_add_dev(), .deleteDevice: cublk_u_cmd_del_dev(),
            .startDevice: cublk_u_cmd_start_dev(), .stopDevice: cublk_u_cmd_stop_dev(),
            .setParams: cublk_u_cmd_set_params(), .getParams: cublk_u_cmd_get_params(),
            .startUserRecovery: cublk_u_cmd_start_user_recovery(),
            .endUserRecovery: cublk_u_cmd_end_user_recovery(), .getDeviceInfo2: cublk_u_cmd_get_dev_info2(),
            .getFeatures: cublk_u_cmd_get_features(), .deleteDeviceAsync: cublk_u_cmd_del_dev_async(),
            .updateSize: cublk_u_cmd_update_size(), .quiesceDevice: cublk_u_cmd_quiesce_dev(),
            .tryStopDevice: cublk_u_cmd_try_stop_dev(),
        ]
        #expect(header.count == ControlOpcode.allCases.count)
        for opcode in ControlOpcode.allCases {
            #expect(opcode.rawValue == header[opcode], "\(opcode)")
        }
    }

    @Test func controlOpcodeValuesArePinned() {
        #expect(ControlOpcode.addDevice.rawValue == 0xC020_7504)
        #expect(ControlOpcode.getFeatures.rawValue == 0x8020_7513)
        #expect(ControlOpcode.getDeviceInfo.rawValue == 0x8020_7502)
        #expect(ControlOpcode.endUserRecovery.rawValue == 0xC020_7511)
        #expect(ControlOpcode.quiesceDevice.rawValue == 0xC020_7516)
    }

    @Test func legacyOpcodesAreTheCommandNumbers() {
        #expect(ControlOpcode.getQueueAffinity.legacyCode == UInt32(UBLK_CMD_GET_QUEUE_AFFINITY))
        #expect(ControlOpcode.getDeviceInfo.legacyCode == UInt32(UBLK_CMD_GET_DEV_INFO))
        #expect(ControlOpcode.addDevice.legacyCode == UInt32(UBLK_CMD_ADD_DEV))
        #expect(ControlOpcode.deleteDevice.legacyCode == UInt32(UBLK_CMD_DEL_DEV))
        #expect(ControlOpcode.startDevice.legacyCode == UInt32(UBLK_CMD_START_DEV))
        #expect(ControlOpcode.stopDevice.legacyCode == UInt32(UBLK_CMD_STOP_DEV))
        #expect(ControlOpcode.setParams.legacyCode == UInt32(UBLK_CMD_SET_PARAMS))
        #expect(ControlOpcode.getParams.legacyCode == UInt32(UBLK_CMD_GET_PARAMS))
        #expect(ControlOpcode.startUserRecovery.legacyCode == UInt32(UBLK_CMD_START_USER_RECOVERY))
        #expect(ControlOpcode.endUserRecovery.legacyCode == UInt32(UBLK_CMD_END_USER_RECOVERY))
        #expect(ControlOpcode.addDevice.code(ioctlEncoded: false) == 0x04)
        #expect(ControlOpcode.addDevice.code(ioctlEncoded: true) == 0xC020_7504)
    }

    @Test func ioOpcodesEqualTheHeaderMacros() {
        #expect(IOCommandOpcode.fetchRequest.rawValue == cublk_u_io_fetch_req())
        #expect(IOCommandOpcode.commitAndFetchRequest.rawValue == cublk_u_io_commit_and_fetch_req())
        #expect(IOCommandOpcode.needGetData.rawValue == cublk_u_io_need_get_data())
        #expect(IOCommandOpcode.registerIOBuffer.rawValue == cublk_u_io_register_io_buf())
        #expect(IOCommandOpcode.unregisterIOBuffer.rawValue == cublk_u_io_unregister_io_buf())
        #expect(IOCommandOpcode.fetchRequest.rawValue == 0xC010_7520)
        #expect(IOCommandOpcode.commitAndFetchRequest.rawValue == 0xC010_7521)
        #expect(IOCommandOpcode.fetchRequest.legacyCode == UInt32(UBLK_IO_FETCH_REQ))
        #expect(IOCommandOpcode.commitAndFetchRequest.legacyCode == UInt32(UBLK_IO_COMMIT_AND_FETCH_REQ))
    }

    @Test func featureFlagsEqualTheHeader() {
        let header: [String: UInt64] = [
            "SUPPORT_ZERO_COPY": UInt64(UBLK_F_SUPPORT_ZERO_COPY),
            "URING_CMD_COMP_IN_TASK": UInt64(UBLK_F_URING_CMD_COMP_IN_TASK),
            "NEED_GET_DATA": UInt64(UBLK_F_NEED_GET_DATA), "USER_RECOVERY": UInt64(UBLK_F_USER_RECOVERY),
            "USER_RECOVERY_REISSUE": UInt64(UBLK_F_USER_RECOVERY_REISSUE),
            "UNPRIVILEGED_DEV": UInt64(UBLK_F_UNPRIVILEGED_DEV), "CMD_IOCTL_ENCODE": UInt64(UBLK_F_CMD_IOCTL_ENCODE),
            "USER_COPY": UInt64(UBLK_F_USER_COPY), "ZONED": UInt64(UBLK_F_ZONED),
            "USER_RECOVERY_FAIL_IO": UInt64(UBLK_F_USER_RECOVERY_FAIL_IO), "UPDATE_SIZE": UInt64(UBLK_F_UPDATE_SIZE),
            "AUTO_BUF_REG": UInt64(UBLK_F_AUTO_BUF_REG), "QUIESCE": UInt64(UBLK_F_QUIESCE),
            "PER_IO_DAEMON": UInt64(UBLK_F_PER_IO_DAEMON), "BUF_REG_OFF_DAEMON": UInt64(UBLK_F_BUF_REG_OFF_DAEMON),
            "BATCH_IO": UInt64(UBLK_F_BATCH_IO), "INTEGRITY": UInt64(UBLK_F_INTEGRITY),
            "SAFE_STOP_DEV": UInt64(UBLK_F_SAFE_STOP_DEV), "NO_AUTO_PART_SCAN": UInt64(UBLK_F_NO_AUTO_PART_SCAN),
            "SHMEM_ZC": UInt64(UBLK_F_SHMEM_ZC), "IO_DESC_SIZE": UInt64(UBLK_F_IO_DESC_SIZE),
        ]
        #expect(Features.named.count == header.count)
        for (name, flag) in Features.named {
            #expect(flag.rawValue == header[name], "\(name)")
        }
    }

    @Test func featureNamesOfWhatTheKernelsAnswered() {
        // GET_FEATURES of 6.12.117 and 7.3.4, as recorded in the protocol reference.
        #expect(Features(rawValue: 0x1FE).names == [
            "URING_CMD_COMP_IN_TASK", "NEED_GET_DATA", "USER_RECOVERY", "USER_RECOVERY_REISSUE", "UNPRIVILEGED_DEV",
            "CMD_IOCTL_ENCODE", "USER_COPY", "ZONED",
        ])
        #expect(Features(rawValue: 0x1F_FFFF).names.count == 21)
        #expect(Features(rawValue: 1 << 40).names == ["BIT_40"])
    }

    @Test func statesAndOperations() {
        #expect(DeviceState.dead.rawValue == UInt16(UBLK_S_DEV_DEAD))
        #expect(DeviceState.live.rawValue == UInt16(UBLK_S_DEV_LIVE))
        #expect(DeviceState.quiesced.rawValue == UInt16(UBLK_S_DEV_QUIESCED))
        #expect(DeviceState.failIO.rawValue == UInt16(UBLK_S_DEV_FAIL_IO))
        #expect(IOOperation.read.rawValue == UInt8(UBLK_IO_OP_READ))
        #expect(IOOperation.write.rawValue == UInt8(UBLK_IO_OP_WRITE))
        #expect(IOOperation.flush.rawValue == UInt8(UBLK_IO_OP_FLUSH))
        #expect(IOOperation.discard.rawValue == UInt8(UBLK_IO_OP_DISCARD))
        #expect(IOOperation.writeZeroes.rawValue == UInt8(UBLK_IO_OP_WRITE_ZEROES))
        #expect(IOFlags.forceUnitAccess.rawValue == UInt32(UBLK_IO_F_FUA))
        #expect(IOFlags.needRegisterBuffer.rawValue == UInt32(UBLK_IO_F_NEED_REG_BUF))
        #expect(DeviceAttributes.volatileCache.rawValue == UInt32(UBLK_ATTR_VOLATILE_CACHE))
        #expect(DeviceAttributes.forceUnitAccess.rawValue == UInt32(UBLK_ATTR_FUA))
        #expect(DeviceAttributes.readOnly.rawValue == UInt32(UBLK_ATTR_READ_ONLY))
        #expect(ParamTypes.discard.rawValue == UInt32(UBLK_PARAM_TYPE_DISCARD))
        #expect(ParamTypes.devt.rawValue == UInt32(UBLK_PARAM_TYPE_DEVT))
        #expect(IOResult.abort == -ENODEV)
        #expect(AutoBufferRegistration(index: 5, fallback: true).sqeAddress
                == 5 | UInt64(UBLK_AUTO_BUF_REG_FALLBACK) << 16)
    }
}
