/// Which of the keyset statements a list page needs (each store keeps one text per shape, built
/// once, since statements are cached by their text), and the values they all take in one order:
/// the cursor's due date and id (if any), the limit, the state (if filtered).
struct KeysetShape: Hashable, Sendable {
    /// Only pending or only completed tasks.
    let filtered: Bool
    /// After the cursor in list order (else before it, read backwards).
    let forward: Bool
    let hasCursor: Bool

    init(filtered: Bool, forward: Bool, hasCursor: Bool) {
        (self.filtered, self.forward, self.hasCursor) = (filtered, forward, hasCursor)
    }

    init(_ filter: TaskFilter, forward: Bool, _ cursor: TaskCursor?) {
        self.init(filtered: filter != .all, forward: forward, hasCursor: cursor != nil)
    }

    /// Every shape.
    static let all: [KeysetShape] = [false, true].flatMap { filtered in
        [false, true].flatMap { forward in [false, true].map { KeysetShape(filtered: filtered, forward: forward, hasCursor: $0) } }
    }

    /// The statement's values: `?1` due, `?2` id, `?3` limit, `?4` state; without a cursor `?1`
    /// limit, `?2` state.
    func values(_ filter: TaskFilter, _ cursor: TaskCursor?, limit: Int) -> [SQLValue] {
        var values: [SQLValue] = cursor.map { [.int($0.due), .int($0.id)] } ?? []
        values.append(.int(Int64(limit)))
        if filtered { values.append(.int(filter == .completed ? 1 : 0)) }
        return values
    }
}
