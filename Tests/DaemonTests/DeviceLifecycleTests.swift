@testable import Daemon
import TestSupport
import Engine
import Store
import Testing
import UblkABI

/// The lifecycle machine case by case: every stored desired state against every kernel state and every runtime
/// state, with the action it returns first. Pure: no kernel, no store.
@Suite("The device lifecycle machine: desired state x kernel state x runtime state -> action")
struct DeviceLifecycleTests {
    typealias Action = DeviceLifecycle.Action
    typealias Holding = DeviceLifecycle.Holding

    static let ownPID: Int32 = 4242
    static let storedSize: UInt64 = 1 << 30
    static let recovery: Features = [.userRecovery, .userRecoveryReissue]

    /// The kernel states the machine tells apart.
    enum Kernel: String, CaseIterable, CustomTestStringConvertible {
        case absent
        case dead
        /// LIVE, its server gone, the driver has not noticed yet.
        case liveServerGone
        /// LIVE, served by a live process that is not this one.
        case liveOtherServer
        /// LIVE under this process's pid (served here, or by a dead predecessor that had the same pid).
        case liveOwnPID
        case quiesced
        /// QUIESCED, but created without user recovery (cannot happen with a well-behaved driver).
        case quiescedNoRecovery
        case failIO
        /// A state number this ublkd does not know (a newer kernel).
        case unknown
        /// Served here, with a disk size other than the stored one (a resize cut short).
        case liveOtherSize

        var testDescription: String { rawValue }

        var observation: KernelObservation {
            func device(_ state: DeviceState?, pid: Int32 = 77, exists: Bool = false, flags: Features = recovery,
                        size: UInt64 = storedSize) -> KernelObservation {
                .present(KernelDevice(state: state, flags: flags, serverPID: pid, serverProcessExists: exists,
                                      sizeBytes: size))
            }
            switch self {
            case .absent: return .absent
            case .dead: return device(.dead, pid: -1)
            case .liveServerGone: return device(.live)
            case .liveOtherServer: return device(.live, exists: true)
            case .liveOwnPID: return device(.live, pid: ownPID, exists: true)
            case .quiesced: return device(.quiesced)
            case .quiescedNoRecovery: return device(.quiesced, flags: [])
            case .failIO: return device(.failIO)
            case .unknown: return device(nil)
            case .liveOtherSize: return device(.live, pid: ownPID, exists: true, size: storedSize * 2)
            }
        }
    }

    static let start = ContinuousClock.now
    static let deadline = start + .seconds(45)
    static let otherServer = Action.refuse("device is served by another live process (pid 77)")

    /// Every case and its first action. Rows run desired state by desired state; within one, kernel by kernel, for
    /// holding nothing / creating / serving.
    static let table: [(DesiredState, Kernel, Holding, Action)] = {
        var rows: [(DesiredState, Kernel, Holding, Action)] = []
        func row(_ desired: DesiredState, _ kernel: Kernel, _ nothing: Action, _ creating: Action, _ serving: Action) {
            rows.append((desired, kernel, .nothing, nothing))
            rows.append((desired, kernel, .creating, creating))
            rows.append((desired, kernel, .serving, serving))
        }
        let taken = Action.refuse("the device id is already taken in the kernel")
        let wait = Action.waitForQuiesce(until: deadline)
        let unknown = Action.refuse("the driver reports a device state this ublkd does not know")
        let noRecovery = Action.refuse("the kernel holds the device without user recovery")
        // creating: held by this process it is built and then completed; not held (found at start-up) it is undone.
        row(.creating, .absent, .forget, .rebuild(deleteFirst: false), .completeCreate)
        for kernel in [Kernel.dead, .liveServerGone, .liveOwnPID, .quiesced, .quiescedNoRecovery, .failIO, .unknown] {
            row(.creating, kernel, .removeKernelDevice, taken, .completeCreate)
        }
        row(.creating, .liveOtherServer, otherServer, otherServer, .completeCreate)
        row(.creating, .liveOtherSize, .removeKernelDevice, taken, .completeCreate)
        // running: brought up from whatever the kernel holds; served, it is live (resized to the stored size).
        row(.running, .absent, .rebuild(deleteFirst: false), .rebuild(deleteFirst: false), .removeKernelDevice)
        row(.running, .dead, .rebuild(deleteFirst: true), .rebuild(deleteFirst: true), .settled(.live))
        row(.running, .liveServerGone, wait, wait, .settled(.live))
        row(.running, .liveOtherServer, otherServer, otherServer, .settled(.live))
        row(.running, .liveOwnPID, wait, wait, .settled(.live))
        row(.running, .quiesced, .recover, .recover, .settled(.live))
        row(.running, .quiescedNoRecovery, noRecovery, noRecovery, .settled(.live))
        row(.running, .failIO, .recover, .recover, .settled(.live))
        row(.running, .unknown, unknown, unknown, .settled(.live))
        row(.running, .liveOtherSize, wait, wait, .resizeKernel(to: storedSize))
        // stopped and deleting: whatever the kernel holds goes (never another live server's); then settled or
        // forgotten.
        for desired in [DesiredState.stopped, .deleting] {
            let done: Action = desired == .stopped ? .settled(.stopped) : .forget
            row(desired, .absent, done, done, .removeKernelDevice)
            for kernel in Kernel.allCases where ![.absent, .liveOtherServer].contains(kernel) {
                row(desired, kernel, .removeKernelDevice, .removeKernelDevice, .removeKernelDevice)
            }
            row(desired, .liveOtherServer, otherServer, otherServer, .removeKernelDevice)
        }
        return rows
    }()

    static func input(_ desired: DesiredState, _ kernel: Kernel, _ holding: Holding,
                      now: ContinuousClock.Instant = start) -> DeviceLifecycle.Input {
        DeviceLifecycle.Input(desired: desired, storedSize: storedSize, madeBackingFileExists: false,
                              kernel: kernel.observation, holding: holding, ownPID: ownPID, now: now)
    }

    @Test func theTableCoversEveryCase() {
        let covered = Set(Self.table.map { "\($0.0.rawValue) \($0.1.rawValue) \($0.2)" })
        #expect(covered.count == Self.table.count, "no case twice")
        #expect(covered.count == DesiredState.allCases.count * Kernel.allCases.count * 3)
    }

    @Test("first action", arguments: table.indices)
    func firstAction(_ index: Int) {
        let (desired, kernel, holding, expected) = Self.table[index]
        var machine = DeviceLifecycle()
        #expect(machine.next(Self.input(desired, kernel, holding)) == expected,
                "\(desired.rawValue) x \(kernel.rawValue) x \(holding)")
    }

    @Test func anUndoneCreateRemovesTheFileItMadeThenForgets() {
        var machine = DeviceLifecycle()
        var input = Self.input(.creating, .absent, .nothing)
        input.madeBackingFileExists = true
        #expect(machine.next(input) == .removeBackingFile)
        input.madeBackingFileExists = false
        #expect(machine.next(input) == .forget)
    }

    @Test func anAbandonedCreateLeavesAKernelDeviceItDidNotMake() {
        var machine = DeviceLifecycle()
        var input = Self.input(.creating, .quiesced, .nothing)
        input.createAbandoned = true
        #expect(machine.next(input) == .forget)
        input.holding = .serving
        #expect(machine.next(input) == .removeKernelDevice, "but one it serves goes")
    }

    @Test func aRefusedRecoveryRebuilds() {
        var machine = DeviceLifecycle()
        let input = Self.input(.running, .quiesced, .nothing)
        #expect(machine.next(input) == .recover)
        machine.failed(.recover, .recoveryRefused)
        #expect(machine.next(input) == .rebuild(deleteFirst: true))
        machine.failed(.rebuild(deleteFirst: true), .failed("ADD_DEV failed"))
        #expect(machine.next(input) == .refuse("ADD_DEV failed"))
    }

    @Test func aFailedActionIsNeverAskedForAgain() {
        var machine = DeviceLifecycle()
        let input = Self.input(.running, .quiesced, .nothing)
        #expect(machine.next(input) == .recover)
        machine.failed(.recover, .failed("backing store /x: does not exist"))
        #expect(machine.next(input) == .refuse("backing store /x: does not exist"))
    }

    @Test func theWaitForQuiesceEnds() {
        var machine = DeviceLifecycle(quiesceTimeout: .seconds(2))
        let deadline = Self.start + .seconds(2)
        #expect(machine.next(Self.input(.running, .liveServerGone, .nothing)) == .waitForQuiesce(until: deadline))
        // The deadline is set once, at the first look.
        let later = Self.input(.running, .liveServerGone, .nothing, now: Self.start + .seconds(1))
        #expect(machine.next(later) == .waitForQuiesce(until: deadline))
        #expect(machine.next(Self.input(.running, .quiesced, .nothing, now: Self.start + .seconds(1))) == .recover)
        let past = Self.input(.running, .liveServerGone, .nothing, now: Self.start + .seconds(3))
        #expect(machine.next(past) == .refuse("the driver kept the device LIVE without a server for 2.0 seconds"))
    }

    @Test func aDeletedDeviceTheDriverKeepsForAMountedDiskIsGone() {
        var machine = DeviceLifecycle()
        #expect(machine.next(Self.input(.deleting, .liveOwnPID, .serving)) == .removeKernelDevice)
        // DEL_DEV done; the driver keeps the id, DEAD, until the file system on it is unmounted.
        #expect(machine.next(Self.input(.deleting, .dead, .nothing)) == .forget)
        var other = DeviceLifecycle()
        #expect(other.next(Self.input(.deleting, .dead, .nothing)) == .removeKernelDevice, "not removed yet")
    }

    @Test func aServedDeviceSettlesOnceItsSizeIsTheStoredOne() {
        var machine = DeviceLifecycle()
        #expect(machine.next(Self.input(.running, .liveOtherSize, .serving)) == .resizeKernel(to: Self.storedSize))
        #expect(machine.next(Self.input(.running, .liveOwnPID, .serving)) == .settled(.live))
    }
}
