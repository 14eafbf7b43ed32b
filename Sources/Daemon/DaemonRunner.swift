import Engine
import Foundation
import HTTPAPI
import Logging
import Store
import Synchronization

/// The composition root: store, engine, device manager and HTTP server, run until SIGTERM or SIGINT.
public enum DaemonRunner {
    public enum Failure: Error, CustomStringConvertible {
        case startup(String)
        public var description: String {
            switch self { case .startup(let message): message }
        }
    }

    public static func run(_ configuration: Configuration, logger: Logger) throws {
        let phases = StartupPhases(logger: logger)
        // Every thread created from here on (HTTP, queues) inherits this mask, so the signals wait for sigwait.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        guard mkdir(configuration.stateDirectory, 0o700) == 0 || errno == EEXIST else {
            throw Failure.startup("cannot create the state directory \(configuration.stateDirectory): "
                                  + String(cString: strerror(errno)))
        }
        let store: Store
        do {
            store = try Store(path: configuration.databasePath, logger: logger)
        } catch {
            throw Failure.startup("cannot open the state store \(configuration.databasePath): \(error)")
        }
        phases.reached("store_opened")
        let kernel = KernelAccess(controlPath: configuration.controlPath,
                                  paths: BackingPaths(allowedDirectories: configuration.allowedDirectories),
                                  logger: logger)
        kernel.loadDriverIfMissing()
        if let engine = kernel.current {
            logger.info("ublk driver ready", metadata: [
                "ublk.kernel": "\(KernelInventory.release)", "ublk.features": "\(engine.features)",
            ])
        } else {
            logger.warning("ublk driver unavailable: device operations answer 503 until `modprobe ublk_drv` works")
        }
        phases.reached("driver_opened")
        let manager = DeviceManager(store: store, backend: kernel, logger: logger)
        let startupRecords = manager.reconcile(phases: phases)

        let server: HTTPServer
        do {
            server = try serveAPI(manager, configuration: configuration, logger: logger)
        } catch {
            manager.handOver()
            throw Failure.startup("\(error)")
        }
        logger.info("listening", metadata: [
            "http.address": "\(configuration.listen)", "http.port": "\(server.port)",
            "ublkd.state_dir": "\(configuration.stateDirectory)",
        ])
        phases.reached("listening")
        // Only now: reconciliation is over and the API accepts connections, so a unit ordered after ublkd finds
        // its devices back and can talk to the daemon.
        let notifier = ServiceNotifier(environment: ProcessInfo.processInfo.environment, logger: logger)
        notifier.ready(status: readyStatus(manager.health(), listen: configuration.listen))
        phases.reached("ready")
        // Housekeeping last: nothing above waited for the store to write, which a disk busy with the recovered
        // devices' backlog can make slow.
        manager.finishStartup(startupRecords)
        phases.reached("history_stored")
        let watching = Watching()
        Thread.detachNewThread { manager.watchConnections(until: watching.stop) }

        var received: Int32 = 0
        sigwait(&signals, &received)
        logger.info("signal \(received): stopping; devices are handed over to the driver, not deleted")
        notifier.stopping(status: "signal \(received): handing the devices over to the driver")
        watching.stop.store(true, ordering: .relaxed)
        server.quiesce()
        server.stop()
        manager.handOver()
        logger.info("stopped")
    }

    /// The REST API over `manager` as the daemon serves it: the router, the transport and the request metrics.
    public static func serveAPI(_ manager: DeviceManager, configuration: Configuration, logger: Logger) throws
        -> HTTPServer
    {
        let router = Router(service: manager, token: configuration.apiToken)
        let metrics = manager.metrics
        return try HTTPServer(
            listen: configuration.listen, threads: configuration.apiThreads, niceness: configuration.apiNiceness,
            logger: logger,
            observer: { request, response, took in
                metrics.recordRequest(
                    method: request.method, route: Router.routeLabel(request), status: response.status, duration: took)
            }, route: Router.match, handler: router.handle)
    }

    /// The flag that ends the connection watcher's loop.
    final class Watching: Sendable {
        let stop = Atomic(false)
    }

    /// e.g. "3 devices (2 live, 1 stopped); API on 127.0.0.1:7878", for `systemctl status`.
    static func readyStatus(_ health: HealthView, listen: ListenAddress) -> String {
        let total = health.devices.values.reduce(0, +)
        let states = health.devices.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let devices = total == 1 ? "1 device" : "\(total) devices"
        return (states.isEmpty ? devices : "\(devices) (\(states))") + "; API on \(listen)"
            + (health.kernel.available ? "" : "; ublk driver unavailable")
    }
}
