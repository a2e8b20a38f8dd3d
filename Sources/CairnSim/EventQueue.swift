/// A binary min-heap of events ordered by (virtual time, sequence number): events at the same instant come out in
/// the order they were scheduled, so the run never depends on anything but the schedule.
///
/// The heap holds plain keys (time, sequence, slot); the events themselves wait in a slot table, so sifting moves
/// no reference-counted payloads.
struct EventQueue<Event> {
    private struct Key {
        var time: UInt64
        var sequence: UInt64
        var slot: Int

        func precedes(_ other: Key) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var heap: [Key] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    /// An empty queue.
    init() {}

    /// The number of events waiting.
    var count: Int { heap.count }

    /// `true` when no event waits.
    var isEmpty: Bool { heap.isEmpty }

    /// The instant of the earliest event.
    var nextTime: UInt64? { heap.first?.time }

    /// Schedules `event` at `time`, after every event already scheduled at that instant.
    mutating func push(_ event: Event, at time: UInt64) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        let key = Key(time: time, sequence: nextSequence, slot: slot)
        nextSequence += 1
        heap.append(key)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard key.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = key
    }

    /// Removes and returns the earliest event.
    mutating func pop() -> (time: UInt64, event: Event)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            let count = heap.count
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var smallest = left
                if left + 1 < count, heap[left + 1].precedes(heap[left]) { smallest = left + 1 }
                guard heap[smallest].precedes(last) else { break }
                heap[parent] = heap[smallest]
                parent = smallest
            }
            heap[parent] = last
        }
        let event = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.time, event)
    }
}
