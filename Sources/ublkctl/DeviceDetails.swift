/// The `show` layout of one device, also printed by create, start, stop and recover so each shows where the
/// device ended up.
extension Device {
    func detailLines() -> [String] {
        var list = KeyValueList()
        list.append("id", String(id))
        list.append("name", name)
        // The desired state only matters when it differs, e.g. failed while it should be running.
        let wanted = ["creating": "creating", "running": "live", "stopped": "stopped"][desiredState]
        list.append("state", wanted == state ? state : "\(state) (desired: \(desiredState))")
        list.append("error", error)
        list.append("target", target)
        list.append("path", path)
        list.append("size", "\(Format.bytes(size)) (\(size) bytes)")
        list.append("block device", blockDevice ?? "-")
        list.append("block size", String(blockSize))
        list.append("queues", "\(queues) x depth \(queueDepth)")
        list.append("max io size", Format.bytes(UInt64(max(maxIOSize, 0))))
        list.append("read only", Format.yesNo(readOnly))
        list.append("recovery", recovery)
        list.append("io mode", ioMode)
        list.append("pin queues", pinQueues.map(Format.yesNo))
        list.append("queue threads", queueThreads.map(String.init))
        list.append("batch I/O", batchIO.map(Format.yesNo))
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
