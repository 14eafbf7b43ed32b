/// The tags of a queue one thread serves: every `threadCount`-th tag from `thread` on.
///
/// Interleaving rather than halves: the block layer hands out low tags first, so at a small queue depth halves
/// would leave the upper threads idle.
struct TagShare: Sendable, Equatable {
    let thread: Int
    let threadCount: Int
    /// The queue's depth (all threads together).
    let depth: Int

    init(thread: Int, of threadCount: Int, depth: Int) {
        precondition(threadCount >= 1 && (0..<threadCount).contains(thread) && depth >= threadCount)
        self.thread = thread
        self.threadCount = threadCount
        self.depth = depth
    }

    /// The whole queue for one thread.
    static func all(depth: Int) -> TagShare { TagShare(thread: 0, of: 1, depth: depth) }

    var tags: StrideTo<Int> { stride(from: thread, to: depth, by: threadCount) }

    var count: Int { (depth - thread + threadCount - 1) / threadCount }

    /// The tag's place among this thread's tags, e.g. its buffer slot.
    @inline(__always) func slot(of tag: Int) -> Int { tag / threadCount }
}
