@testable import Daemon
import DeviceModel
import Engine
import HTTPAPI
import Logging
import Store
import Testing

/// `GET /devices` shows each device's view as last built until something it is built from changes: every change
/// must show at once.
@Suite("Device views: kept between polls, never stale")
struct DeviceViewTests {
    let store: Store
    let backend = FakeBackend()
    let manager: DeviceManager

    init() throws {
        store = try Store.inMemory()
        manager = DeviceManager(store: store, backend: backend,
                                logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        manager.finishStartup(manager.reconcile(phases: StartupPhases(logger: manager.logger)))
    }

    func listed(_ id: UInt32) throws -> DeviceView {
        try #require(try manager.listDevices().first { $0.id == id })
    }

    @Test func everyChangeShowsInTheNextListing() throws {
        let request = CreateDeviceRequest(definition: DeviceDefinition(name: "n", target: .null, sizeBytes: 1 << 30))
        let id = try manager.create(request).id
        #expect(try listed(id).state == "live")
        #expect(try listed(id) == manager.device(id: id), "kept, and the same as built afresh")

        _ = try manager.stop(id: id)
        #expect(try listed(id).state == "stopped")
        #expect(try listed(id).blockDevice == nil)
        _ = try manager.start(id: id)
        #expect(try listed(id).state == "live")

        // A network target's connections change with no operation on the device: seen all the same.
        let served = try #require(backend.state.withLock { $0.served[id] })
        served.connectionStatus = ConnectionStatus(state: .reconnecting, disconnects: 1, reconnects: 0)
        #expect(try listed(id).connection?.state == "reconnecting")
        served.connectionStatus = ConnectionStatus(state: .failing, disconnects: 1, reconnects: 0)
        #expect(try listed(id).state == "failed")
        served.connectionStatus = ConnectionStatus(state: .connected, disconnects: 1, reconnects: 1)
        #expect(try listed(id).state == "live")
        #expect(try listed(id).connection?.reconnects == 1)

        _ = try manager.stop(id: id)
        let recoveries = try listed(id).recoveries
        _ = try manager.recoverDevice(id: id)
        #expect(try listed(id).recoveries == recoveries + 1)
        #expect(try listed(id).lastRecovery != nil)
        try manager.delete(id: id)
        #expect(try manager.listDevices().isEmpty)
    }
}
