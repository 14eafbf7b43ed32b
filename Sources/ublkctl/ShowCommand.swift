import ArgumentParser

struct ShowCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one device in full.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id (N of /dev/ublkbN).") var id: UInt32

    func run(with api: APIClient, output: Output) throws(CLIError) {
        let (device, body) = try api.get(Device.self, "/devices/\(id)")
        if connection.json { return output.raw(body) }
        device.detailLines().forEach(output.line)
    }
}
