import DeviceModel
import Foundation
@testable import HTTPAPI
import Testing

/// Keys the views do not have (acronyms, digits, explicit snake_case) and values at the edges of the JSON grammar.
private struct Oddities: Encodable {
    var myURLField = "a/b \"quoted\" back\\slash\ttab\nline\u{01}\u{1F}é🙂"
    var aB = true
    var value2Go: Double = 3.0
    var already_snake: Double = 1234.567
    var small = 0.001
    var negative: Int64 = -9_223_372_036_854_775_808
    var largest = UInt64.max
    var half: Float = 0.5
    var absent: String? = nil
    var nothing: [Int] = []
    var empty: [String: Int] = [:]
    var nested: [[String: [Int]]] = [["xY": [1, 2]], [:]]
    var when = Date(timeIntervalSince1970: 1_700_000_000.999)
    var early = Date(timeIntervalSince1970: 86_399)
    var kind = TargetKind.file

    enum CodingKeys: String, CodingKey {
        case myURLField, aB, value2Go, already_snake, small, negative, largest, half, absent, nothing, empty, nested
        case when, early, kind
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(myURLField, forKey: .myURLField)
        try c.encode(aB, forKey: .aB)
        try c.encode(value2Go, forKey: .value2Go)
        try c.encode(already_snake, forKey: .already_snake)
        try c.encode(small, forKey: .small)
        try c.encode(negative, forKey: .negative)
        try c.encode(largest, forKey: .largest)
        try c.encode(half, forKey: .half)
        try c.encode(absent, forKey: .absent)
        try c.encode(nothing, forKey: .nothing)
        try c.encode(empty, forKey: .empty)
        try c.encode(nested, forKey: .nested)
        try c.encode(when, forKey: .when)
        try c.encode(early, forKey: .early)
        try c.encode(kind, forKey: .kind)
    }
}

/// Written through a nested container, which the encoder leaves to Foundation.
private struct Nesting: Encodable {
    enum Outer: String, CodingKey { case inner, zeta }
    enum Inner: String, CodingKey { case b, a }

    func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Outer.self)
        var inner = outer.nestedContainer(keyedBy: Inner.self, forKey: .inner)
        try outer.encode(1, forKey: .zeta)
        try inner.encode(2, forKey: .b)
        try inner.encode(3, forKey: .a)
    }
}

@Suite("JSONBodyEncoder writes what Foundation's JSONEncoder writes with the API's options")
struct JSONBodyEncoderTests {
    func expectSame<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONBodyEncoder.encode(value)
        let foundation = Array(try JSONBodyEncoder.foundationEncoder().encode(value))
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: foundation, as: UTF8.self),
                sourceLocation: sourceLocation)
    }

    /// The polled views take the direct writer; their `Encodable` side is what Foundation writes.
    func expectSameFields<T: JSONFields>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let direct = try JSONBodyEncoder.encode(value)
        let foundation = Array(try JSONBodyEncoder.foundationEncoder().encode(value))
        #expect(String(decoding: direct, as: UTF8.self) == String(decoding: foundation, as: UTF8.self),
                sourceLocation: sourceLocation)
        // And the generic path, which reaches the fields through `encode(to:)`.
        try expectSame(value, sourceLocation: sourceLocation)
    }

    @Test func polledViewsWrittenFieldByField() throws {
        try expectSameFields(Canned.statistics(id: 3, state: "live"))
        try expectSameFields(DeviceStatisticsView(id: 1, state: "stopped", since: nil, uptimeSeconds: 0,
                                                  total: IOCounters(), queues: []))
        try expectSameFields(DeviceStatisticsView(id: 4_000_000, state: "live", since: Date(timeIntervalSince1970: 0),
                                                  uptimeSeconds: 86_400.125, total: IOCounters(inFlight: -1),
                                                  queues: [IOCounters(reads: .max)]))
        try expectSameFields(Canned.health)
        try expectSameFields(HealthView(status: "degraded", version: "1\"\n", kernel: .init(
            available: false, release: nil, features: [], featureBits: nil, message: "no \\ driver"),
            devices: [:], unmanagedDevices: [], lastStart: nil, store: "disk full"))
        try expectSameFields(HealthView(status: "ok", version: "1", kernel: .init(
            available: true, release: "7.0", features: ["A"], featureBits: "0x1", message: nil),
            devices: ["stopped": 1, "live": 30, "failed": 2], unmanagedDevices: [9, 3], lastStart: nil))
    }

    @Test func everyViewTheAPIAnswers() throws {
        var failed = Canned.devices[1]
        failed.connection = ConnectionView(state: "reconnecting", disconnects: 3, reconnects: 2)
        try expectSame(DeviceList(devices: Canned.devices + [failed]))
        try expectSame(DeviceList(devices: []))
        try expectSame(Canned.devices[0])
        try expectSame(Canned.statistics(id: 3, state: "live"))
        try expectSame(DeviceStatisticsView(id: 1, state: "stopped", since: nil, uptimeSeconds: 0,
                                            total: IOCounters(), queues: []))
        try expectSame(Canned.health)
        try expectSame(HealthView(status: "degraded", version: "1", kernel: .init(
            available: false, release: nil, features: [], featureBits: nil, message: "no driver"),
            devices: [:], unmanagedDevices: [], lastStart: nil, store: "disk full"))
        try expectSame(Canned.eventPage(id: 3))
        try expectSame(EventPage(events: [], nextBefore: nil))
    }

    @Test func deviceListFromKeptJSONIsFoundationsAfterEveryChange() throws {
        let harness = RouterHarness()
        func expectList(_ comment: Comment) throws {
            let expected = Array(try JSONBodyEncoder.foundationEncoder().encode(
                DeviceList(devices: try harness.service.listDevices()))) + [UInt8(ascii: "\n")]
            #expect(harness.send("GET", "/devices").bodyText == String(decoding: expected, as: UTF8.self), comment)
        }
        try expectList("first listing")
        try expectList("again, from the kept JSON")
        _ = try harness.service.stopDevice(id: 0)
        try expectList("a device changed")
        try harness.service.deleteDevice(id: 3)
        try expectList("a device gone")
        let added = try harness.service.createDevice(CreateDeviceRequest(
            definition: DeviceDefinition(name: "new", target: .null, sizeBytes: 4096)))
        try expectList("a device added")
        try harness.service.deleteDevice(id: 0)
        try harness.service.deleteDevice(id: added.id)
        try expectList("no device")
    }

    @Test func errorBodies() throws {
        let response = Router.errorResponse(.validation("size \"x\" is not a size"))
        let expected = Array(try JSONBodyEncoder.foundationEncoder().encode(
            ["error": ["code": "validation_failed", "message": "size \"x\" is not a size"]])) + [UInt8(ascii: "\n")]
        #expect(response.bodyText == String(decoding: expected, as: UTF8.self))
    }

    @Test func keysEscapesNumbersAndDates() throws {
        try expectSame(Oddities())
        try expectSame([Oddities(), Oddities(myURLField: "", aB: false, value2Go: -0.25, already_snake: 1e21)])
    }

    @Test func nestedContainersFallBackToFoundation() throws {
        try expectSame(Nesting())
        try expectSame([Nesting()])
    }
}
