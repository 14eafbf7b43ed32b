import ArgumentParser
import UblkdVersion

@main
struct UblkctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ublkctl",
        abstract: "Manage ublkd's devices over its REST API.",
        discussion: """
            Exit status: 0 on success, 1 when the API refused the request (its error code is printed), \
            2 when ublkd could not be reached, 64 for a bad invocation.
            """,
        version: UblkdVersion.current,
        subcommands: [
            ListCommand.self, ShowCommand.self, CreateCommand.self, StartCommand.self, StopCommand.self,
            RecoverCommand.self, DeleteCommand.self, ResizeCommand.self, StatsCommand.self, EventsCommand.self,
            HealthCommand.self,
        ])

    // Declared here too so `ublkctl --url X list` works as well as `ublkctl list --url X`: the subcommands'
    // option groups of the same type take the values parsed at this level.
    @OptionGroup(visibility: .hidden) var connection: ConnectionOptions
}
