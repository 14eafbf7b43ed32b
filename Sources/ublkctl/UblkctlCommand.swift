import ArgumentParser

@main
struct UblkctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ublkctl", abstract: "Manage ublkd's devices over its REST API.", version: "0.1.0")
}
