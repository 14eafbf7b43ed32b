import CUblk
import Testing
import UblkABI

/// The Swift mirrors must be byte-for-byte the kernel's structures: sizes and offsets are checked against both the
/// vendored C header (as Swift imports it) and the numbers the protocol reference gives.
@Suite("UblkABI layout equals the vendored ublk_cmd.h")
struct LayoutTests {
    @Test func controlCommand() {
        #expect(MemoryLayout<ControlCommand>.size == MemoryLayout<ublksrv_ctrl_cmd>.size)
        #expect(MemoryLayout<ControlCommand>.size == 32)
        let swift: [Int?] = [
            MemoryLayout<ControlCommand>.offset(of: \.deviceID), MemoryLayout<ControlCommand>.offset(of: \.queueID),
            MemoryLayout<ControlCommand>.offset(of: \.length), MemoryLayout<ControlCommand>.offset(of: \.address),
            MemoryLayout<ControlCommand>.offset(of: \.data), MemoryLayout<ControlCommand>.offset(of: \.devicePathLength),
            MemoryLayout<ControlCommand>.offset(of: \.pad), MemoryLayout<ControlCommand>.offset(of: \.reserved),
        ]
        let c: [Int?] = [
            MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.dev_id), MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.queue_id),
            MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.len), MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.addr),
            MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.data),
            MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.dev_path_len),
            MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.pad), MemoryLayout<ublksrv_ctrl_cmd>.offset(of: \.reserved),
        ]
        #expect(swift == c)
        #expect(swift == [0, 4, 6, 8, 16, 24, 26, 28])
    }

    @Test func deviceInfo() {
        typealias S = DeviceInfo
        typealias C = ublksrv_ctrl_dev_info
        #expect(MemoryLayout<S>.size == MemoryLayout<C>.size)
        #expect(MemoryLayout<S>.size == 64)
        let swift: [Int?] = [
            MemoryLayout<S>.offset(of: \.queueCount), MemoryLayout<S>.offset(of: \.queueDepth),
            MemoryLayout<S>.offset(of: \.rawState), MemoryLayout<S>.offset(of: \.ioDescriptorSize),
            MemoryLayout<S>.offset(of: \.maxIOBufferBytes), MemoryLayout<S>.offset(of: \.deviceID),
            MemoryLayout<S>.offset(of: \.serverPID), MemoryLayout<S>.offset(of: \.pad1),
            MemoryLayout<S>.offset(of: \.rawFlags), MemoryLayout<S>.offset(of: \.serverFlags),
            MemoryLayout<S>.offset(of: \.ownerUID), MemoryLayout<S>.offset(of: \.ownerGID),
            MemoryLayout<S>.offset(of: \.reserved1), MemoryLayout<S>.offset(of: \.reserved2),
        ]
        let c: [Int?] = [
            MemoryLayout<C>.offset(of: \.nr_hw_queues), MemoryLayout<C>.offset(of: \.queue_depth),
            MemoryLayout<C>.offset(of: \.state), MemoryLayout<C>.offset(of: \.io_desc_size),
            MemoryLayout<C>.offset(of: \.max_io_buf_bytes), MemoryLayout<C>.offset(of: \.dev_id),
            MemoryLayout<C>.offset(of: \.ublksrv_pid), MemoryLayout<C>.offset(of: \.pad1),
            MemoryLayout<C>.offset(of: \.flags), MemoryLayout<C>.offset(of: \.ublksrv_flags),
            MemoryLayout<C>.offset(of: \.owner_uid), MemoryLayout<C>.offset(of: \.owner_gid),
            MemoryLayout<C>.offset(of: \.reserved1), MemoryLayout<C>.offset(of: \.reserved2),
        ]
        #expect(swift == c)
        #expect(swift == [0, 2, 4, 6, 8, 12, 16, 20, 24, 32, 40, 44, 48, 56])
    }

    @Test func params() {
        typealias S = Params
        typealias C = ublk_params
        #expect(MemoryLayout<S>.size == MemoryLayout<C>.size)
        #expect(MemoryLayout<S>.size == 152)
        let swift: [Int?] = [
            MemoryLayout<S>.offset(of: \.length), MemoryLayout<S>.offset(of: \.types),
            MemoryLayout<S>.offset(of: \.basic), MemoryLayout<S>.offset(of: \.discard),
            MemoryLayout<S>.offset(of: \.devt), MemoryLayout<S>.offset(of: \.zoned),
            MemoryLayout<S>.offset(of: \.dmaAlignment), MemoryLayout<S>.offset(of: \.segment),
            MemoryLayout<S>.offset(of: \.integrity),
        ]
        let c: [Int?] = [
            MemoryLayout<C>.offset(of: \.len), MemoryLayout<C>.offset(of: \.types),
            MemoryLayout<C>.offset(of: \.basic), MemoryLayout<C>.offset(of: \.discard),
            MemoryLayout<C>.offset(of: \.devt), MemoryLayout<C>.offset(of: \.zoned),
            MemoryLayout<C>.offset(of: \.dma), MemoryLayout<C>.offset(of: \.seg),
            MemoryLayout<C>.offset(of: \.integrity),
        ]
        #expect(swift == c)
        #expect(swift == [0, 4, 8, 40, 60, 76, 108, 120, 136])
        // 6.12 knows only up to the end of `zoned`.
        #expect(MemoryLayout<S>.offset(of: \.dmaAlignment) == 108)
    }

    @Test func basicParams() {
        typealias S = BasicParams
        typealias C = ublk_param_basic
        #expect(MemoryLayout<S>.size == MemoryLayout<C>.size)
        let swift: [Int?] = [
            MemoryLayout<S>.offset(of: \.attributes), MemoryLayout<S>.offset(of: \.logicalBlockShift),
            MemoryLayout<S>.offset(of: \.physicalBlockShift), MemoryLayout<S>.offset(of: \.ioOptimalShift),
            MemoryLayout<S>.offset(of: \.ioMinimumShift), MemoryLayout<S>.offset(of: \.maxSectors),
            MemoryLayout<S>.offset(of: \.chunkSectors), MemoryLayout<S>.offset(of: \.deviceSectors),
            MemoryLayout<S>.offset(of: \.virtualBoundaryMask),
        ]
        let c: [Int?] = [
            MemoryLayout<C>.offset(of: \.attrs), MemoryLayout<C>.offset(of: \.logical_bs_shift),
            MemoryLayout<C>.offset(of: \.physical_bs_shift), MemoryLayout<C>.offset(of: \.io_opt_shift),
            MemoryLayout<C>.offset(of: \.io_min_shift), MemoryLayout<C>.offset(of: \.max_sectors),
            MemoryLayout<C>.offset(of: \.chunk_sectors), MemoryLayout<C>.offset(of: \.dev_sectors),
            MemoryLayout<C>.offset(of: \.virt_boundary_mask),
        ]
        #expect(swift == c)
        #expect(swift == [0, 4, 5, 6, 7, 8, 12, 16, 24])
    }

    @Test func discardAndDevtParams() {
        #expect(MemoryLayout<DiscardParams>.size == MemoryLayout<ublk_param_discard>.size)
        #expect(MemoryLayout<DiscardParams>.size == 20)
        let discard: [Int?] = [
            MemoryLayout<DiscardParams>.offset(of: \.alignment), MemoryLayout<DiscardParams>.offset(of: \.granularity),
            MemoryLayout<DiscardParams>.offset(of: \.maxDiscardSectors),
            MemoryLayout<DiscardParams>.offset(of: \.maxWriteZeroesSectors),
            MemoryLayout<DiscardParams>.offset(of: \.maxDiscardSegments),
            MemoryLayout<DiscardParams>.offset(of: \.reserved0),
        ]
        let cDiscard: [Int?] = [
            MemoryLayout<ublk_param_discard>.offset(of: \.discard_alignment),
            MemoryLayout<ublk_param_discard>.offset(of: \.discard_granularity),
            MemoryLayout<ublk_param_discard>.offset(of: \.max_discard_sectors),
            MemoryLayout<ublk_param_discard>.offset(of: \.max_write_zeroes_sectors),
            MemoryLayout<ublk_param_discard>.offset(of: \.max_discard_segments),
            MemoryLayout<ublk_param_discard>.offset(of: \.reserved0),
        ]
        #expect(discard == cDiscard)
        #expect(discard == [0, 4, 8, 12, 16, 18])

        #expect(MemoryLayout<DevtParams>.size == MemoryLayout<ublk_param_devt>.size)
        let devt: [Int?] = [
            MemoryLayout<DevtParams>.offset(of: \.charMajor), MemoryLayout<DevtParams>.offset(of: \.charMinor),
            MemoryLayout<DevtParams>.offset(of: \.diskMajor), MemoryLayout<DevtParams>.offset(of: \.diskMinor),
        ]
        let cDevt: [Int?] = [
            MemoryLayout<ublk_param_devt>.offset(of: \.char_major),
            MemoryLayout<ublk_param_devt>.offset(of: \.char_minor),
            MemoryLayout<ublk_param_devt>.offset(of: \.disk_major),
            MemoryLayout<ublk_param_devt>.offset(of: \.disk_minor),
        ]
        #expect(devt == cDevt)
        #expect(devt == [0, 4, 8, 12])
    }

    @Test func remainingParamBlocks() {
        #expect(MemoryLayout<ZonedParams>.size == MemoryLayout<ublk_param_zoned>.size)
        #expect(MemoryLayout<ZonedParams>.offset(of: \.maxZoneAppendSectors)
                == MemoryLayout<ublk_param_zoned>.offset(of: \.max_zone_append_sectors))
        #expect(MemoryLayout<DMAAlignParams>.size == MemoryLayout<ublk_param_dma_align>.size)
        #expect(MemoryLayout<SegmentParams>.size == MemoryLayout<ublk_param_segment>.size)
        #expect(MemoryLayout<SegmentParams>.offset(of: \.maxSegmentSize)
                == MemoryLayout<ublk_param_segment>.offset(of: \.max_segment_size))
        #expect(MemoryLayout<SegmentParams>.offset(of: \.maxSegments)
                == MemoryLayout<ublk_param_segment>.offset(of: \.max_segments))
        #expect(MemoryLayout<IntegrityParams>.size == MemoryLayout<ublk_param_integrity>.size)
        #expect(MemoryLayout<IntegrityParams>.offset(of: \.tagSize)
                == MemoryLayout<ublk_param_integrity>.offset(of: \.tag_size))
    }

    @Test func ioDescriptorAndCommand() {
        #expect(MemoryLayout<IODescriptor>.size == MemoryLayout<ublksrv_io_desc>.size)
        #expect(MemoryLayout<IODescriptor>.size == IODescriptor.stride)
        #expect(MemoryLayout<IODescriptor>.offset(of: \.opFlags) == MemoryLayout<ublksrv_io_desc>.offset(of: \.op_flags))
        #expect(MemoryLayout<IODescriptor>.offset(of: \.sectorCount) == 4)
        #expect(MemoryLayout<IODescriptor>.offset(of: \.startSector)
                == MemoryLayout<ublksrv_io_desc>.offset(of: \.start_sector))
        #expect(MemoryLayout<IODescriptor>.offset(of: \.address) == MemoryLayout<ublksrv_io_desc>.offset(of: \.addr))
        #expect(MemoryLayout<IODescriptor>.offset(of: \.startSector) == 8)
        #expect(MemoryLayout<IODescriptor>.offset(of: \.address) == 16)

        #expect(MemoryLayout<IOCommand>.size == MemoryLayout<ublksrv_io_cmd>.size)
        #expect(MemoryLayout<IOCommand>.size == 16)
        #expect(MemoryLayout<IOCommand>.offset(of: \.queueID) == MemoryLayout<ublksrv_io_cmd>.offset(of: \.q_id))
        #expect(MemoryLayout<IOCommand>.offset(of: \.tag) == MemoryLayout<ublksrv_io_cmd>.offset(of: \.tag))
        #expect(MemoryLayout<IOCommand>.offset(of: \.result) == MemoryLayout<ublksrv_io_cmd>.offset(of: \.result))
        #expect(MemoryLayout<IOCommand>.offset(of: \.address) == 8)
    }

    @Test func descriptorIsDecodedFromKernelBytes() {
        // op WRITE with FUA, 8 sectors at sector 2048, buffer 0x7000_0000.
        let raw: [UInt8] = [0x01, 0x20, 0, 0, 8, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x70, 0, 0, 0, 0]
        let iod = raw.withUnsafeBytes { $0.loadUnaligned(as: IODescriptor.self) }
        #expect(iod.operation == .write)
        #expect(iod.flags == .forceUnitAccess)
        #expect(iod.byteCount == 4096)
        #expect(iod.byteOffset == 2048 * 512)
        #expect(iod.address == 0x7000_0000)
    }

    @Test func mappingGeometry() {
        #expect(DescriptorMapping.offset(queue: 1, pageSize: 4096) == 0x18000)
        #expect(DescriptorMapping.length(depth: 64, pageSize: 4096) == 4096)
        #expect(DescriptorMapping.length(depth: 200, pageSize: 4096) == 8192)
        #expect(DescriptorMapping.maxQueueDepth == Int(UBLK_MAX_QUEUE_DEPTH))
    }
}
