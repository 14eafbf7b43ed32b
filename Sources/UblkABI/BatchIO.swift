/// The batch command model (`UBLK_F_BATCH_IO`, kernel 7.0+): instead of one FETCH/COMMIT_AND_FETCH per tag, a
/// queue hands the driver all its tags once (PREP), learns of new requests through a multishot FETCH that writes
/// arrays of u16 tags into buffers of a provided-buffer ring, and completes any number of requests with one COMMIT.
/// A device created with the flag accepts only these (FETCH_REQ and COMMIT_AND_FETCH_REQ are refused).
public enum BatchCommandOpcode: UInt32, Sendable, CaseIterable {
    /// `UBLK_U_IO_PREP_IO_CMDS`: takes an element per tag; answers 0 or `-errno` (then nothing was prepared).
    case prepare = 0xC010_7525
    /// `UBLK_U_IO_COMMIT_IO_CMDS`: answers the bytes of the element array it handled, or `-errno` if none.
    case commit = 0xC010_7526
    /// `UBLK_U_IO_FETCH_IO_CMDS`: multishot; each completion carries `res` bytes of u16 tags in a selected buffer.
    case fetch = 0xC010_7527
}

/// `UBLK_BATCH_F_*`: which optional fields follow each element's 8-byte header.
public struct BatchFlags: OptionSet, Sendable, Equatable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let hasZoneLBA = BatchFlags(rawValue: 1 << 0)
    /// Copy mode: a u64 buffer address follows the header.
    public static let hasBufferAddress = BatchFlags(rawValue: 1 << 1)
    public static let autoBufferRegistrationFallback = BatchFlags(rawValue: 1 << 2)

    /// What the driver demands of a PREP/COMMIT element array for a device: the buffer address exactly when the
    /// driver copies data into server buffers (no AUTO_BUF_REG, zero copy or user copy).
    public static func required(deviceFlags: Features) -> BatchFlags {
        deviceFlags.isDisjoint(with: [.autoBufferRegistration, .supportZeroCopy, .userCopy]) ? .hasBufferAddress : []
    }

    /// Bytes per element: the header, plus 8 per optional field (the driver refuses any other `elem_bytes`).
    public var elementBytes: Int {
        BatchElement.headerBytes + (contains(.hasBufferAddress) ? 8 : 0) + (contains(.hasZoneLBA) ? 8 : 0)
    }
}

/// `struct ublk_batch_io` (16 bytes): the SQE command area of the three batch commands. PREP and COMMIT also set
/// the SQE's `addr` (the element array) and `len` (its bytes).
public struct BatchCommand: Sendable, Equatable, BitwiseCopyable {
    public var queueID: UInt16
    public var flags: UInt16
    public var elementCount: UInt16
    public var elementBytes: UInt8
    public var reserved: UInt8 = 0
    public var reserved2: UInt64 = 0

    public init(queueID: UInt16, flags: BatchFlags, elementCount: UInt16, elementBytes: UInt8) {
        self.queueID = queueID
        self.flags = flags.rawValue
        self.elementCount = elementCount
        self.elementBytes = elementBytes
    }

    /// FETCH: no flags, and the "element" is one u16 tag.
    public static func fetch(queueID: UInt16, capacityTags: Int) -> BatchCommand {
        BatchCommand(queueID: queueID, flags: [], elementCount: UInt16(clamping: capacityTags),
                     elementBytes: UInt8(MemoryLayout<UInt16>.size))
    }
}

/// `struct ublk_elem_header` (8 bytes), the start of every PREP/COMMIT element.
public struct BatchElement: Sendable, Equatable, BitwiseCopyable {
    public var tag: UInt16
    /// AUTO_BUF_REG: the ring buffer-table slot for the tag's next request.
    public var bufferIndex: UInt16
    /// COMMIT: bytes done or `-errno`; PREP: 0.
    public var result: Int32

    public init(tag: UInt16, bufferIndex: UInt16 = 0, result: Int32 = 0) {
        self.tag = tag
        self.bufferIndex = bufferIndex
        self.result = result
    }

    public static let headerBytes = 8

    /// Writes element `index` of an array whose elements are `stride` bytes, with the buffer address after the
    /// header when `stride` has room for it.
    ///
    /// - Precondition: `base` holds at least `(index + 1) * stride` bytes, 8-byte aligned.
    @inline(__always)
    public func store(into base: UnsafeMutableRawPointer, index: Int, stride: Int, bufferAddress: UInt64 = 0) {
        // SAFETY: the caller owns an 8-aligned array of at least index + 1 elements of `stride` bytes; each field
        // lands at its C offset (tag @0, buf_index @2, result @4, buf_addr @8).
        let element = base + index * stride
        element.storeBytes(of: tag.littleEndian, toByteOffset: 0, as: UInt16.self)
        element.storeBytes(of: bufferIndex.littleEndian, toByteOffset: 2, as: UInt16.self)
        element.storeBytes(of: result.littleEndian, toByteOffset: 4, as: Int32.self)
        if stride >= Self.headerBytes + 8 {
            element.storeBytes(of: bufferAddress.littleEndian, toByteOffset: 8, as: UInt64.self)
        }
    }
}
