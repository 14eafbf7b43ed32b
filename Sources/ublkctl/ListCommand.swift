import ArgumentParser

struct ListCommand: APICommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List every stored device.")

    @OptionGroup var connection: ConnectionOptions

    func run(with api: APIClient, output: Output) throws(CLIError) {
        let (list, body) = try api.get(DeviceList.self, "/devices")
        if connection.json { return output.raw(body) }
        guard !list.devices.isEmpty else { return output.line("no devices") }
        var table = Table([
            ("ID", .right), ("NAME", .left), ("TARGET", .left), ("STATE", .left), ("SIZE", .right),
            ("BLOCK-DEVICE", .left), ("RECOVERY", .left),
        ])
        for device in list.devices {
            table.append([
                String(device.id), device.name, device.definition.target.kind.rawValue, device.state,
                Format.bytes(device.definition.sizeBytes), device.blockDevice ?? "-", device.definition.recovery.rawValue,
            ])
        }
        table.render().forEach(output.line)
    }
}
