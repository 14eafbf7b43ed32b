import ArgumentParser

/// stop, start and recover are one POST each and answer with the device; only the wording differs.
protocol DeviceActionCommand: APICommand {
    static var action: String { get }
    var id: UInt32 { get }
}

extension DeviceActionCommand {
    func run(with api: APIClient, output: Output) throws(CLIError) {
        let body = try api.call("POST", "/devices/\(id)/\(Self.action)")
        if connection.json { return output.raw(body) }
        try api.decode(Device.self, from: body).detailLines().forEach(output.line)
    }
}

struct StopCommand: DeviceActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Remove the kernel device; the definition stays, stopped.")
    static let action = "stop"

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id.") var id: UInt32
}

struct StartCommand: DeviceActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Build a stopped or failed device again under the same id.")
    static let action = "start"

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id.") var id: UInt32
}

struct RecoverCommand: DeviceActionCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover", abstract: "Run the start-up recovery of one failed or quiesced device now.")
    static let action = "recover"

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id.") var id: UInt32
}

struct DeleteCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Stop the device if needed and forget its definition.",
        discussion: "The backing file and the device's event history are kept.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id.") var id: UInt32

    func run(with api: APIClient, output: Output) throws(CLIError) {
        let body = try api.call("DELETE", "/devices/\(id)")
        // 204 has no body, so --json prints nothing; the exit status says it worked.
        if connection.json { return output.raw(body) }
        output.line("deleted device \(id)")
    }
}
