import ArgumentParser

struct EventsCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Lifecycle and recovery history, newest first: one device id's, or every device's.",
        discussion: "Kept after a device is deleted. Page back with --before, using the id printed at the end.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "A device id (also of a deleted device); without it, every device's events.") var id: UInt32?
    @Option(help: "Events per page (1-1000; the daemon's default is 50).") var limit: Int?
    @Option(help: "Only events older than this event id.") var before: Int64?

    var target: String {
        let query = [id.map { "device_id=\($0)" }, limit.map { "limit=\($0)" }, before.map { "before=\($0)" }]
            .compactMap { $0 }
        return "/events" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    func run(with api: APIClient, output: Output) throws(CLIError) {
        let (page, body) = try api.get(EventPage.self, target)
        if connection.json { return output.raw(body) }
        guard !page.events.isEmpty else { return output.line(id.map { "no events for device \($0)" } ?? "no events") }
        var table = Table([
            ("TIME", .left), ("DEVICE", .right), ("KIND", .left), ("OUTCOME", .left), ("DURATION", .right), ("ERROR/DETAIL", .left),
        ])
        for event in page.events {
            let note = [event.error, event.detail].compactMap { $0 }.joined(separator: "; ")
            table.append([
                Format.timestamp(event.startedAt), "\(event.deviceID) \(event.deviceName)", event.kind, event.outcome, Format.milliseconds(event.durationMs),
                note.isEmpty ? "-" : note,
            ])
        }
        table.render().forEach(output.line)
        if let next = page.nextBefore {
            output.line("older events: ublkctl events \(id.map { "\($0) " } ?? "")--before \(next)")
        }
    }
}
