import DeviceModel
import Engine
import Testing

@Suite("Queue counters")
struct QueueCountersTests {
    @Test func snapshotCarriesRingEntersAndSumsAddThem() {
        let counters = QueueCounters()
        counters.ringEnters.add(3, ordering: .relaxed)
        counters.reads.add(5, ordering: .relaxed)
        let one = counters.snapshot()
        #expect(one.ringEnters == 3 && one.reads == 5)
        let sum = one + IOCounters(writes: 2, ringEnters: 4)
        #expect(sum.ringEnters == 7 && sum.reads == 5 && sum.writes == 2)
    }
}
