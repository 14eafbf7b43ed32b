import HTTPAPI
import Testing

@Suite("Sizes: integers and unit strings become exact byte counts; anything else is refused")
struct SizeParsingTests {
    /// (JSON fragment for "size", bytes the service must receive). All are multiples of 512 so the router's
    /// block-size check lets them through.
    static let accepted: [(String, UInt64)] = [
        ("4096", 4096),
        (#""4096""#, 4096),
        (#""512MiB""#, 512 << 20),
        (#""10GiB""#, 10 << 30),
        (#""1GB""#, 1_000_000_000),
        (#""1G""#, 1 << 30),
        (#""2T""#, 2 << 40),
        (#""3TiB""#, 3 << 40),
        (#""8MB""#, 8_000_000),
        (#""64KiB""#, 64 << 10),
        (#""8K""#, 8 << 10),
        (#""512B""#, 512),
        (#"" 8 KiB ""#, 8 << 10),
        (#""1152921504606846976""#, 1 << 60),
        (#""1048576TiB""#, 1 << 60),
    ]

    static let refused: [String] = [
        #""""#, #"" ""#, #""-1""#, #""-4096""#, #""10XB""#, #""1.5GiB""#, #""1,024""#, #""GiB""#, #""0x1000""#,
        #""1e9""#, #""1 0GiB""#, #""10 GiB extra""#, #""4096bytes""#, #""１G""#, #""99999999999999999999""#,
        #""18446744073709551616""#, #""17179869184GiB""#, #""16777216TiB""#, #""1152921504606847488""#,
        #""1048577TiB""#,
        #""340282366920938463463374607431768211456""#,
    ]

    @Test("accepted", arguments: accepted)
    func acceptedSize(_ fragment: String, _ bytes: UInt64) throws {
        let (response, created) = RouterHarness().create(#"{"name": "d", "target": "null", "size": \#(fragment)}"#)
        #expect(response.status == 201, "\(response.bodyText)")
        #expect(try #require(created).size == bytes)
    }

    @Test("refused", arguments: refused)
    func refusedSize(_ fragment: String) {
        let harness = RouterHarness()
        let (response, created) = harness.create(#"{"name": "d", "target": "null", "size": \#(fragment)}"#)
        expectError(response, .validationFailed, "size \(fragment)")
        #expect(created == nil)
    }

    @Test func parseIsExactAtTheEdges() {
        #expect(ByteSize.parse("0") == 0)
        #expect(ByteSize.parse("1") == 1)
        #expect(ByteSize.parse("1k") == 1024)
        #expect(ByteSize.parse("18446744073709551615") == UInt64.max)
        #expect(ByteSize.parse("18446744073709551616") == nil)
        #expect(ByteSize.parse("16777215TiB") == UInt64(1 << 24 - 1) << 40)
        #expect(ByteSize.parse("16777216TiB") == nil)
        #expect(ByteSize.parse("18446744TB") == 18_446_744_000_000_000_000)
        #expect(ByteSize.parse("18446745TB") == nil)
        #expect(ByteSize.parse("18446744073GB") == 18_446_744_073_000_000_000)
        #expect(ByteSize.parse("18446744074GB") == nil)
    }

    /// api/openapi.yaml's Size pattern, `^ *[0-9]+ *([KMGT]i?B?|[KMGT]|B)? *$`, allows "10Gi" (Kubernetes style),
    /// but ByteSize has no "GI" unit and the router refuses it.
    @Test func unitsTheSpecAllowsAreAccepted() {
        for text in ["1Ki", "10Mi", "10Gi", "1Ti"] {
            #expect(ByteSize.parse(text) != nil, "\(text)")
        }
        for text in ["1K", "1KB", "1KiB", "10M", "10MB", "10MiB", "2G", "2GB", "2GiB", "1T", "1TB", "1TiB", "7B"] {
            #expect(ByteSize.parse(text) != nil, "\(text)")
        }
    }
}
