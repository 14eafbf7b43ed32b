import ArgumentParser
import Engine
import Logging

@main
struct UblkdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ublkd",
        abstract: "A ublk block-device server.",
        version: "0.1.0",
        subcommands: [DaemonCommand.self, FeaturesCommand.self, ServeCommand.self],
        defaultSubcommand: DaemonCommand.self)
}
