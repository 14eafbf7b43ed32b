/// The `show` layout of one device, also printed by create, start, stop and recover so each shows where the
/// device ended up.
extension Device {
    func detailLines() -> [String] {
        var list = KeyValueList()
        list.append("id", String(id))
        list.append("name", name)
        // The desired state only matters when it differs, e.g. failed while it should be running.
        let wanted = ["creating": "creating", "running": "live", "stopped": "stopped", "deleting": "deleting"][desiredState]
        list.append("state", wanted == state ? state : "\(state) (desired: \(desiredState))")
        list.append("error", error)
        let definition = self.definition
        list.append("target", definition.target.kind.rawValue)
        list.append("path", definition.target.path)
        if case .nbd(let export) = definition.target {
            list.append("uri", export.uri)
            list.append("reconnect timeout", "\(export.reconnectTimeoutSeconds) s")
        }
        list.append("connection", connection.map { "\($0.state) (\($0.disconnects) lost, \($0.reconnects) reconnected)" })
        list.append("size", "\(Format.bytes(definition.sizeBytes)) (\(definition.sizeBytes) bytes)")
        list.append("block device", blockDevice ?? "-")
        list.append("block size", String(definition.blockSize))
        list.append("queues", "\(definition.queues) x depth \(definition.queueDepth)")
        list.append("max io size", Format.bytes(UInt64(max(definition.maxIOBytes, 0))))
        list.append("read only", Format.yesNo(definition.readOnly))
        list.append("recovery", definition.recovery.rawValue)
        list.append("io mode", definition.ioMode.rawValue)
        list.append("pin queues", Format.yesNo(definition.pinQueues))
        list.append("queue threads", String(definition.queueThreads))
        list.append("batch I/O", Format.yesNo(definition.batchIO))
        list.append("backing io", backingIO)
        list.append("recoveries", String(recoveries))
        list.append("last recovery", lastRecovery.map(Self.summary))
        list.append("created", Format.timestamp(createdAt))
        list.append("updated", Format.timestamp(updatedAt))
        return list.render()
    }

    static func summary(_ event: Event) -> String {
        var text = "\(Format.timestamp(event.startedAt)) \(event.kind) \(event.outcome)"
        if let duration = event.durationMs { text += " in \(Format.milliseconds(duration))" }
        if let error = event.error { text += ": \(error)" }
        return text
    }
}
