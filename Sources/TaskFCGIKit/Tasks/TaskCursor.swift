/// A row's place in the list order (due date, then id): what `?after=` and `?before=` carry, so a
/// page is found by an index search from that key instead of by skipping the rows before it.
///
/// Written `<due>.<id>`: the due date in Unix milliseconds (a minus sign for dates before 1970) and
/// the task number, each 1–18 digits, e.g. `1767258000000.42`. Eighteen digits always fit in 64
/// bits, so every text of this shape is a cursor; anything else is not (the OpenAPI document gives
/// the same pattern).
public struct TaskCursor: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The due date, Unix milliseconds.
    public let due: Int64
    public let id: Int64

    public init(due: Int64, id: Int64) { (self.due, self.id) = (due, id) }

    /// The key of `task`.
    public init(_ task: TaskItem) { self.init(due: task.due.milliseconds, id: task.id) }

    /// Parses `<due>.<id>`; nil for any other text.
    public init?(_ text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        var dueDigits = parts[0]
        let negative = dueDigits.first == UInt8(ascii: "-")
        if negative { dueDigits = dueDigits.dropFirst() }
        guard let due = Self.number(dueDigits), let id = Self.number(parts[1]) else { return nil }
        self.init(due: negative ? -due : due, id: id)
    }

    /// 1–18 ASCII digits as a number (never overflows); nil otherwise.
    private static func number(_ digits: Substring.UTF8View) -> Int64? {
        guard (1...18).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `<due>.<id>`, as links carry it.
    public var description: String { "\(due).\(id)" }
}
