import CLinux

/// The calling thread's effective capabilities. Linux keeps them per thread (glibc's wrappers make them process
/// wide; the raw system calls used here do not), so lowering one here leaves the daemon's other threads as they are.
enum ThreadCapability {
    /// Runs `body` with `capability` out of this thread's effective set and raises it again after, as far as the
    /// permitted set allows. A thread that cannot lower it lacks it already, so `body` runs all the same.
    static func without<Result, Failure: Error>(_ capability: Int32, _ body: () throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        let lowered = clinux_set_thread_effective_capability(capability, 0) == 0
        defer { if lowered { _ = clinux_set_thread_effective_capability(capability, 1) } }
        return try body()
    }

    /// nil where the kernel does not say.
    static func isEffective(_ capability: Int32) -> Bool? {
        switch clinux_thread_has_effective_capability(capability) {
        case 1: true
        case 0: false
        default: nil
        }
    }
}
