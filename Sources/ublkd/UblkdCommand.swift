import ArgumentParser
import Engine
import Logging

@main
struct UblkdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ublkd",
        abstract: "A ublk block-device server.",
        subcommands: [FeaturesCommand.self, ServeCommand.self],
        defaultSubcommand: FeaturesCommand.self)
}
