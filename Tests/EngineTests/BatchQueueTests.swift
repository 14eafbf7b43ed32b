import Testing
@testable import Engine

@Suite struct BatchQueueTests {
    @Test func commitArraysAlternateAndNeverReopenOneTheDriverHolds() {
        var arrays = CommitArrays()
        #expect(!arrays.busy)
        #expect(arrays.close() == nil, "nothing to send")
        arrays.pending = 3
        #expect(arrays.busy)
        #expect(arrays.close() == 0)
        #expect(arrays[sent: 0] == 3 && arrays.open == 1 && arrays.pending == 0)
        arrays.pending = 2
        // Array 0 is still the driver's: array 1 stays open and keeps filling.
        #expect(arrays.close() == nil)
        #expect(arrays.open == 1 && arrays.pending == 2)
        arrays.done(0)
        #expect(arrays.close() == 1)
        #expect(arrays[sent: 1] == 2 && arrays.open == 0)
        #expect(arrays.busy, "array 1 in flight")
        arrays.done(1)
        #expect(!arrays.busy)
    }

    @Test func fetchBuffersHoldAWholeCompletionAndOneBufferPerTag() {
        #expect(BatchQueue<NullTarget.Handler>.fetchBufferBytes(depth: 64) == 128)
        #expect(BatchQueue<NullTarget.Handler>.fetchBufferBytes(depth: 1024) == 256, "the driver's 128 tags")
        #expect(BatchQueue<NullTarget.Handler>.fetchBufferCount(depth: 1) == 2)
        #expect(BatchQueue<NullTarget.Handler>.fetchBufferCount(depth: 100) == 128)
        #expect(BatchQueue<NullTarget.Handler>.fetchBufferCount(depth: 4096) == 4096)
    }
}
