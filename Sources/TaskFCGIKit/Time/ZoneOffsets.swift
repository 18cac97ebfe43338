import Foundation

/// A zone's UTC offsets and their names from 1900 to 2200 as a sorted table of transitions,
/// built once from Foundation. A list page shows a hundred dates; asking Foundation for each
/// costs a lock and an ICU call, a binary search here a few comparisons.
struct ZoneOffsets: Sendable {
    static let coveredSeconds: Range<Int64> = -2_208_988_800 ..< 7_258_118_400 // 1900-01-01 ..< 2200-01-01

    /// Instants (seconds) at which the offset changes, ascending.
    private let transitions: [Int64]
    /// `offsets[i]` holds from `transitions[i - 1]` (or the table's start) until `transitions[i]`.
    private let offsets: [Int]
    /// The zone's abbreviation for each entry of `offsets`.
    private let names: [String]

    init(_ timeZone: TimeZone, name: (_ offset: Int) -> String) {
        let start = Date(timeIntervalSince1970: Double(Self.coveredSeconds.lowerBound))
        var transitions: [Int64] = []
        var offsets = [timeZone.secondsFromGMT(for: start)]
        var after = start
        while let next = timeZone.nextDaylightSavingTimeTransition(after: after),
              next.timeIntervalSince1970 < Double(Self.coveredSeconds.upperBound), next > after {
            transitions.append(Int64(next.timeIntervalSince1970.rounded(.down)))
            offsets.append(timeZone.secondsFromGMT(for: next))
            after = next
        }
        self.transitions = transitions
        self.offsets = offsets
        self.names = offsets.map(name)
    }

    /// Seconds east of UTC and the zone's name for them at `seconds` since 1970; nil outside the table.
    func local(at seconds: Int64) -> (offset: Int, name: String)? {
        guard Self.coveredSeconds.contains(seconds) else { return nil }
        // The number of transitions at or before `seconds` is the index of the offset in force.
        var low = 0, high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= seconds { low = middle + 1 } else { high = middle }
        }
        return (offsets[low], names[low])
    }

    /// The first instant (seconds) after `seconds` at which the offset changes; nil past the table's
    /// last transition (the offset is taken to hold from there on).
    func nextTransition(after seconds: Int64) -> Int64? {
        var low = 0, high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= seconds { low = middle + 1 } else { high = middle }
        }
        return low < transitions.count ? transitions[low] : nil
    }
}
