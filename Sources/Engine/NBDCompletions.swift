import CNBD

/// Where libnbd's completion callbacks leave (tag, error) for the handler, which reads them after each call into
/// libnbd. A tag has at most one command in flight, so `depth` entries always suffice.
struct NBDCompletions {
    let tags: UnsafeMutablePointer<UInt16>
    let errors: UnsafeMutablePointer<Int32>
    let capacity: Int
    var count = 0

    init(depth: Int) {
        capacity = depth
        tags = .allocate(capacity: depth)
        errors = .allocate(capacity: depth)
    }

    func release() {
        tags.deallocate()
        errors.deallocate()
    }
}

/// What a command's callback needs: where to report, and for which tag.
struct NBDTagContext {
    let completions: UnsafeMutablePointer<NBDCompletions>
    let tag: UInt16
}

/// libnbd's completion callback (a C function: no captures). Returning 1 retires the command.
let nbdCommandCompleted: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> Int32 = {
    context, error in
    guard let context else { return 1 }
    // SAFETY: `context` is one of the handler's `contexts`, alive until the handler's release, after its
    // connection is closed (no callback runs after nbd_close returns).
    let slot = context.assumingMemoryBound(to: NBDTagContext.self).pointee
    let done = slot.completions
    if done.pointee.count < done.pointee.capacity {
        done.pointee.tags[done.pointee.count] = slot.tag
        done.pointee.errors[done.pointee.count] = error?.pointee ?? 0
        done.pointee.count += 1
    }
    return 1
}
