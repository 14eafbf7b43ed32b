import ArgumentParser
import Foundation

/// Online resize: `PATCH /devices/{id}` with the new size. Growing is always allowed; shrinking needs
/// `--allow-shrink`, because it cuts off the data at the end.
struct ResizeCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "resize", abstract: "Grow (or, with --allow-shrink, shrink) a live device.",
        discussion: "The file system on the device is not resized: run resize2fs or xfs_growfs afterwards.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The device id.") var id: UInt32
    @Argument(help: "The new size: bytes, or e.g. 20GiB.") var size: String
    @Flag(name: .customLong("allow-shrink"), help: "Allow a smaller size (data past it is lost).")
    var allowShrink = false

    func run(with api: APIClient, output: Output) throws(CLIError) {
        var request: [String: Any] = ["size": size]
        if allowShrink { request["allow_shrink"] = true }
        let encoded = (try? JSONSerialization.data(withJSONObject: request)).map { Array($0) } ?? []
        let body = try api.call("PATCH", "/devices/\(id)", json: encoded)
        if connection.json { return output.raw(body) }
        try api.decode(Device.self, from: body).detailLines().forEach(output.line)
    }
}
