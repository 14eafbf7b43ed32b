import ArgumentParser

struct HealthCommand: APICommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Is the daemon up, what does the driver offer, and how did the last start go.")

    @OptionGroup var connection: ConnectionOptions

    func run(with api: APIClient, output: Output) throws(CLIError) {
        let (health, body) = try api.get(Health.self, "/health")
        if connection.json { return output.raw(body) }
        var list = KeyValueList()
        list.append("status", health.status)
        list.append("version", health.version)
        let kernel = health.kernel
        list.append("kernel", kernel.available ? "available" : "unavailable")
        list.append("kernel release", kernel.release)
        list.append("kernel message", kernel.message)
        let bits = kernel.featureBits.map { " (\($0))" } ?? ""
        list.append("features", kernel.features.isEmpty ? "none\(bits)" : kernel.features.joined(separator: " ") + bits)
        let states = health.devices.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        list.append("devices", states.isEmpty ? "none" : states.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        let unmanaged = health.unmanagedDevices.map(String.init).joined(separator: " ")
        list.append("unmanaged", unmanaged.isEmpty ? "none" : unmanaged)
        if let start = health.lastStart {
            let took = Format.milliseconds(start.durationMs)
            list.append("last start", "\(Format.timestamp(start.startedAt)), took \(took): "
                + "\(start.recovered) recovered, \(start.recreated) recreated, \(start.failed) failed")
        }
        list.render().forEach(output.line)
    }
}
