@testable import Engine
import Testing

@Suite("Threads of one queue share its tags without overlap")
struct TagShareTests {
    @Test(arguments: [(1, 1), (1, 128), (2, 2), (2, 5), (3, 64), (4, 4096)])
    func everyTagHasExactlyOneThreadAndOneSlot(threads: Int, depth: Int) {
        let shares = (0..<threads).map { TagShare(thread: $0, of: threads, depth: depth) }
        let served = shares.flatMap { Array($0.tags) }
        #expect(served.sorted() == Array(0..<depth))
        for share in shares {
            #expect(share.count == Array(share.tags).count)
            // Buffer slots are dense per thread: 0..<count, in tag order.
            #expect(share.tags.map(share.slot(of:)) == Array(0..<share.count))
        }
    }

    @Test func tagsInterleaveSoLowTagsReachEveryThread() {
        #expect(Array(TagShare(thread: 0, of: 2, depth: 6).tags) == [0, 2, 4])
        #expect(Array(TagShare(thread: 1, of: 2, depth: 6).tags) == [1, 3, 5])
        #expect(TagShare.all(depth: 3) == TagShare(thread: 0, of: 1, depth: 3))
    }
}
