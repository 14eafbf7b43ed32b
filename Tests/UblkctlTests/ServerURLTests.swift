@testable import ublkctl
import Testing

@Suite("--url takes http://HOST:PORT, IPv6 in brackets, and nothing else")
struct ServerURLTests {
    @Test func parsesHostsAndPorts() throws {
        let ipv4 = try ServerURL(parsing: "http://127.0.0.1:7878")
        #expect(ipv4.host == "127.0.0.1" && ipv4.port == 7878 && ipv4.authority == "127.0.0.1:7878")
        let ipv6 = try ServerURL(parsing: "http://[::1]:7979/")
        #expect(ipv6.host == "::1" && ipv6.port == 7979 && ipv6.authority == "[::1]:7979")
        #expect(ipv6.description == "http://[::1]:7979")
        let name = try ServerURL(parsing: "HTTP://ublk.example")
        #expect(name.host == "ublk.example" && name.port == 80)
    }

    @Test(arguments: [
        "127.0.0.1:7878", "https://127.0.0.1:7878", "http://", "http://host:0", "http://host:99999",
        "http://host:port", "http://host:7878/api", "http://user@host:1", "http://[::1", "http://[::1]x",
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(throws: CLIError.self) { try ServerURL(parsing: text) }
    }
}
