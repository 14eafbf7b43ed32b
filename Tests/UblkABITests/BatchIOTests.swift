import CUblk
import Testing
@testable import UblkABI

@Suite struct BatchIOTests {
    @Test func opcodesEqualTheHeaderMacros() {
        #expect(BatchCommandOpcode.prepare.rawValue == cublk_u_io_prep_io_cmds())
        #expect(BatchCommandOpcode.commit.rawValue == cublk_u_io_commit_io_cmds())
        #expect(BatchCommandOpcode.fetch.rawValue == cublk_u_io_fetch_io_cmds())
    }

    @Test func commandLayoutMatchesTheHeader() {
        #expect(MemoryLayout<BatchCommand>.size == MemoryLayout<ublk_batch_io>.size)
        #expect(MemoryLayout<BatchCommand>.size == 16)
        #expect(MemoryLayout<BatchCommand>.offset(of: \.queueID) == MemoryLayout<ublk_batch_io>.offset(of: \.q_id))
        #expect(MemoryLayout<BatchCommand>.offset(of: \.flags) == MemoryLayout<ublk_batch_io>.offset(of: \.flags))
        #expect(MemoryLayout<BatchCommand>.offset(of: \.elementCount)
                == MemoryLayout<ublk_batch_io>.offset(of: \.nr_elem))
        #expect(MemoryLayout<BatchCommand>.offset(of: \.elementBytes)
                == MemoryLayout<ublk_batch_io>.offset(of: \.elem_bytes))
        #expect(MemoryLayout<BatchCommand>.offset(of: \.reserved2)
                == MemoryLayout<ublk_batch_io>.offset(of: \.reserved2))
        #expect(MemoryLayout<BatchElement>.size == MemoryLayout<ublk_elem_header>.size)
        #expect(MemoryLayout<BatchElement>.size == BatchElement.headerBytes)
    }

    @Test func flagsEqualTheHeader() {
        #expect(BatchFlags.hasZoneLBA.rawValue == UInt16(UBLK_BATCH_F_HAS_ZONE_LBA))
        #expect(BatchFlags.hasBufferAddress.rawValue == UInt16(UBLK_BATCH_F_HAS_BUF_ADDR))
        #expect(BatchFlags.autoBufferRegistrationFallback.rawValue == UInt16(UBLK_BATCH_F_AUTO_BUF_REG_FALLBACK))
        #expect(Features.batchIO.rawValue == UInt64(UBLK_F_BATCH_IO))
    }

    @Test func elementSizeFollowsTheDataPath() {
        // The driver refuses any elem_bytes but these: 8 when it never copies (AUTO_BUF_REG), 16 with an address.
        #expect(BatchFlags.required(deviceFlags: [.autoBufferRegistration, .batchIO]) == [])
        #expect(BatchFlags.required(deviceFlags: [.autoBufferRegistration, .batchIO]).elementBytes == 8)
        #expect(BatchFlags.required(deviceFlags: [.batchIO, .userRecovery]) == .hasBufferAddress)
        #expect(BatchFlags.required(deviceFlags: [.batchIO]).elementBytes == 16)
        #expect(BatchFlags([.hasBufferAddress, .hasZoneLBA]).elementBytes == 24)
    }

    @Test func fetchCommandCarriesU16Elements() {
        let fetch = BatchCommand.fetch(queueID: 3, capacityTags: 128)
        #expect(fetch.queueID == 3)
        #expect(fetch.flags == 0)
        #expect(fetch.elementBytes == 2)
        #expect(fetch.elementCount == 128)
        #expect(BatchCommand.fetch(queueID: 0, capacityTags: 100_000).elementCount == UInt16.max)
    }

    @Test func elementsLandAtTheirCOffsets() {
        let stride = 16
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: 3 * stride, alignment: 8)
        defer { bytes.deallocate() }
        bytes.initializeMemory(as: UInt8.self, repeating: 0xAA, count: 3 * stride)
        BatchElement(tag: 0x0102, bufferIndex: 0x0304, result: -5)
            .store(into: bytes, index: 1, stride: stride, bufferAddress: 0x1122_3344_5566_7788)
        let element = UnsafeRawBufferPointer(start: bytes + stride, count: stride)
        #expect(Array(element) == [0x02, 0x01, 0x04, 0x03, 0xFB, 0xFF, 0xFF, 0xFF,
                                   0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        // Neighbours untouched.
        #expect(UnsafeRawBufferPointer(start: bytes, count: stride).allSatisfy { $0 == 0xAA })
        #expect(UnsafeRawBufferPointer(start: bytes + 2 * stride, count: stride).allSatisfy { $0 == 0xAA })
        // An 8-byte element has no address field.
        BatchElement(tag: 7, bufferIndex: 7).store(into: bytes, index: 0, stride: 8, bufferAddress: 0xFFFF)
        #expect(Array(UnsafeRawBufferPointer(start: bytes, count: 10)) == [7, 0, 7, 0, 0, 0, 0, 0, 0xAA, 0xAA])
    }
}
