/// The daemon's devices by id, and the same devices in id order, kept in step: the list, /health and /metrics are
/// polled and want every device in order, while a device comes or goes only with a create, a delete or a start.
/// A poll takes the ordered array (one retain, under the manager's lock) instead of copying and sorting the table.
struct DeviceTable {
    private var byID: [UInt32: ManagedDevice] = [:]
    /// Every device, by ascending id.
    private(set) var ordered: [ManagedDevice] = []

    subscript(id: UInt32) -> ManagedDevice? {
        get { byID[id] }
        set {
            byID[id] = newValue
            let index = ordered.partitioningIndex { $0.id >= id }
            let present = index < ordered.count && ordered[index].id == id
            switch (newValue, present) {
            case (let device?, true): ordered[index] = device
            case (let device?, false): ordered.insert(device, at: index)
            case (nil, true): ordered.remove(at: index)
            case (nil, false): break
            }
        }
    }

    var ids: Dictionary<UInt32, ManagedDevice>.Keys { byID.keys }
}

extension Array {
    /// The first index whose element satisfies `isAfter`, for an array in which every element satisfying it
    /// follows every element not satisfying it.
    fileprivate func partitioningIndex(where isAfter: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if isAfter(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
