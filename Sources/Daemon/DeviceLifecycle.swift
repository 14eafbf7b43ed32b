import Engine
import Store
import UblkABI

/// The device lifecycle as a pure state machine: what to do next for one device, from what is stored (the
/// operator's last word, written before any kernel change), what the kernel shows, and what this process holds.
/// No I/O here: the daemon performs each action, observes again and asks again, until the device is settled or the
/// machine refuses. Every operation is "store the desired state, then converge", and a restart converges every
/// device the same way, so an operation cut short by a crash is finished (or undone, for a create) by the next
/// start.
///
/// Termination: every action but the bounded wait changes what the next observation shows, and an action that
/// failed is never asked for again: the machine refuses instead, with that failure's reason.
struct DeviceLifecycle {
    /// What this process holds of the device.
    enum Holding: Sendable, Equatable {
        case nothing
        /// A create of this process is under way and has not built the kernel device yet.
        case creating
        /// This process serves the device.
        case serving
    }

    struct Input: Sendable, Equatable {
        var desired: DesiredState
        /// The stored size; a served device whose disk differs is resized to it (a resize cut short).
        var storedSize: UInt64
        /// The create made the backing file and it is still there (only looked at while undoing a create).
        var madeBackingFileExists: Bool
        var kernel: KernelObservation
        var holding: Holding
        /// This process gave up its own create (it failed): undo it, but leave a kernel device it does not serve
        /// alone, since its ADD_DEV did not make it (the engine removes what it half-built).
        var createAbandoned: Bool = false
        /// This process's pid: a dead predecessor may have had the same one (a daemon that is PID 1 in a container).
        var ownPID: Int32
        var now: ContinuousClock.Instant
    }

    enum Action: Sendable, Equatable {
        /// User recovery of a device the driver holds quiesced (or failing I/O) for a new server.
        case recover
        /// ADD_DEV under the stored id; `deleteFirst` when the driver still has a device there that cannot resume.
        case rebuild(deleteFirst: Bool)
        /// The driver still shows the device LIVE though its server is gone: look again shortly, until `until`.
        case waitForQuiesce(until: ContinuousClock.Instant)
        /// Stop and delete the kernel device, served here or left by a dead server.
        case removeKernelDevice
        /// UPDATE_SIZE of the served disk to the stored size.
        case resizeKernel(to: UInt64)
        /// The created device is live: store desired state `running`.
        case completeCreate
        /// Undoing a create: remove the backing file it made.
        case removeBackingFile
        /// Delete the stored definition (a finished delete, or an undone create).
        case forget
        case settled(Settled)
        /// The device cannot reach its desired state; it is `failed` with this reason.
        case refuse(String)
    }

    enum Settled: Sendable, Equatable {
        case live
        case stopped
        /// The definition is gone (deleted, or a create undone).
        case gone
    }

    /// Why an action failed, as far as the machine cares.
    enum Failure: Sendable, Equatable {
        /// START_USER_RECOVERY answered EINVAL: on 6.12 after a server died halfway through a recovery the device
        /// can no longer be resumed, only rebuilt (held I/O fails; the data on disk stays).
        case recoveryRefused
        case failed(String)
    }

    /// How long a device may stay LIVE after its server died before the machine gives up on it: 6.12 notices a
    /// server that died holding every tag of a queue only when a request times out.
    let quiesceTimeout: Duration
    private var quiesceDeadline: ContinuousClock.Instant?
    private var recoveryRefused = false
    /// The kernel device was stopped and deleted: a DEAD one left is the driver waiting for the disk's last
    /// opener (a file system still mounted), not a device to remove again.
    private var removalRequested = false
    private var failures: [ActionKind: String] = [:]

    init(quiesceTimeout: Duration = .seconds(45)) {
        self.quiesceTimeout = quiesceTimeout
    }

    /// Actions by kind, for remembering which failed.
    enum ActionKind: Hashable {
        case recover, rebuild, removeKernelDevice, resizeKernel, completeCreate, removeBackingFile, forget
    }

    mutating func failed(_ action: Action, _ failure: Failure) {
        guard let kind = Self.kind(of: action) else { return }
        switch failure {
        case .recoveryRefused where kind == .recover:
            recoveryRefused = true
        case .recoveryRefused:
            failures[kind] = "the driver refused user recovery"
        case .failed(let reason):
            failures[kind] = reason
        }
    }

    mutating func next(_ input: Input) -> Action {
        let action = decide(input)
        if let kind = Self.kind(of: action), let reason = failures[kind] {
            return .refuse(reason)
        }
        if action == .removeKernelDevice { removalRequested = true }
        return action
    }

    private mutating func decide(_ input: Input) -> Action {
        var kernel: KernelDevice?
        if case .present(let device) = input.kernel { kernel = device }
        if removalRequested, input.holding != .serving, kernel?.state == .dead { kernel = nil }
        // A live process other than this one serves the device: never take it, whatever is stored. (An abandoned
        // create leaves the kernel device alone anyway.)
        if let kernel, input.holding != .serving, !input.createAbandoned, kernel.state == .live,
           kernel.serverProcessExists, kernel.serverPID != input.ownPID
        {
            return .refuse("device is served by another live process (pid \(kernel.serverPID))")
        }
        switch input.desired {
        case .creating:
            switch (input.holding, input.createAbandoned) {
            case (.creating, false):
                // The id was free when it was reserved; something else took it in the kernel since.
                if kernel != nil { return .refuse("the device id is already taken in the kernel") }
                return .rebuild(deleteFirst: false)
            case (.serving, false):
                return .completeCreate
            default:
                // A create cut short, by a crash (found at start-up) or by its own failure: undo it.
                if input.holding == .serving || (kernel != nil && !input.createAbandoned) {
                    return .removeKernelDevice
                }
                if input.madeBackingFileExists { return .removeBackingFile }
                return .forget
            }
        case .deleting:
            if kernel != nil || input.holding == .serving { return .removeKernelDevice }
            return .forget
        case .stopped:
            if kernel != nil || input.holding == .serving { return .removeKernelDevice }
            return .settled(.stopped)
        case .running:
            return bringUp(input, kernel)
        }
    }

    private mutating func bringUp(_ input: Input, _ kernel: KernelDevice?) -> Action {
        guard let kernel else {
            // Served here but gone from the driver (deleted behind the daemon's back): let go, then rebuild.
            return input.holding == .serving ? .removeKernelDevice : .rebuild(deleteFirst: false)
        }
        if input.holding == .serving {
            if let size = kernel.sizeBytes, size != input.storedSize { return .resizeKernel(to: input.storedSize) }
            return .settled(.live)
        }
        switch kernel.state {
        case .live:
            // Its server is gone (checked above) but the driver has not noticed yet.
            let deadline = quiesceDeadline ?? input.now + quiesceTimeout
            quiesceDeadline = deadline
            guard input.now < deadline else {
                return .refuse("the driver kept the device LIVE without a server for \(quiesceTimeout)")
            }
            return .waitForQuiesce(until: deadline)
        case .quiesced, .failIO:
            if recoveryRefused { return .rebuild(deleteFirst: true) }
            guard kernel.flags.contains(.userRecovery) else {
                return .refuse("the kernel holds the device without user recovery")
            }
            return .recover
        case .dead:
            // Never started, or stopped, or a device without recovery whose server died: nothing to resume.
            return .rebuild(deleteFirst: true)
        case nil:
            return .refuse("the driver reports a device state this ublkd does not know")
        }
    }

    static func kind(of action: Action) -> ActionKind? {
        switch action {
        case .recover: .recover
        case .rebuild: .rebuild
        case .removeKernelDevice: .removeKernelDevice
        case .resizeKernel: .resizeKernel
        case .completeCreate: .completeCreate
        case .removeBackingFile: .removeBackingFile
        case .forget: .forget
        case .waitForQuiesce, .settled, .refuse: nil
        }
    }
}
