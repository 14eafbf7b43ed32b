import ArgumentParser
import Engine
import Logging
import UblkdVersion

@main
struct UblkdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ublkd",
        abstract: "A ublk block-device server.",
        version: UblkdVersion.current,
        subcommands: [DaemonCommand.self, FeaturesCommand.self, ServeCommand.self, ReleaseCommand.self],
        defaultSubcommand: DaemonCommand.self)
}
