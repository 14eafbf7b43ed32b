import ArgumentParser
import Engine
import UblkABI

/// Asks the driver what it offers (GET_FEATURES over io_uring) and prints it.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Print the ublk driver's feature flags and exit.")

    @Option(help: "The ublk control device.")
    var control = ControlDevice.defaultPath

    func run() throws {
        let device: ControlDevice
        do {
            device = try ControlDevice(path: control)
        } catch {
            print("ublkd: \(error)")
            throw ExitCode(2)
        }
        print("features: 0x\(String(device.features.rawValue, radix: 16))")
        for name in device.features.names { print("  UBLK_F_\(name)") }
    }
}
