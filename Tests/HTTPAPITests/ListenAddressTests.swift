import HTTPAPI
import Testing

@Suite("ListenAddress: HOST:PORT with an IPv4 or bracketed IPv6 literal, and whether it is loopback")
struct ListenAddressTests {
    @Test("parsed", arguments: [
        ("127.0.0.1:7878", "127.0.0.1", 7878, true, "127.0.0.1:7878"),
        ("[::1]:7878", "::1", 7878, true, "[::1]:7878"),
        ("localhost:80", "127.0.0.1", 80, true, "127.0.0.1:80"),
        ("0.0.0.0:1", "0.0.0.0", 1, false, "0.0.0.0:1"),
        ("127.1.2.3:0", "127.1.2.3", 0, true, "127.1.2.3:0"),
        ("192.168.1.10:65535", "192.168.1.10", 65535, false, "192.168.1.10:65535"),
        ("[::]:7878", "::", 7878, false, "[::]:7878"),
        ("[fe80::1]:443", "fe80::1", 443, false, "[fe80::1]:443"),
    ] as [(String, String, UInt16, Bool, String)])
    func parses(_ text: String, _ host: String, _ port: UInt16, _ loopback: Bool, _ description: String) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.isLoopback == loopback)
        #expect(address.description == description)
        // What it prints parses back to the same address.
        #expect(try ListenAddress(parsing: address.description) == address)
    }

    @Test("refused", arguments: [
        "", ":", ":7878", "1.2.3.4", "7878", "host:99999", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:",
        "127.0.0.1:http", "[::1]7878", "[::1]", "[::1]:", "[]:80", "[::1:80", "example.com:80", "localhost",
        "256.0.0.1:80", "1.2.3:80", "[::g]:80", "[127.0.0.1:80",
    ])
    func refuses(_ text: String) {
        #expect(throws: ListenAddress.Error.self, "\(text)") { try ListenAddress(parsing: text) }
    }

    @Test func errorSaysWhatWasWrong() {
        let error = #expect(throws: ListenAddress.Error.self) { try ListenAddress(parsing: "host:99999") }
        #expect(error?.description.contains("host:99999") == true)
    }
}
