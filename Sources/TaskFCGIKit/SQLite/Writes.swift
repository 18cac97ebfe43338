import Synchronization

/// Where a store's writes go: through the process's shared writer, or, for a store without one
/// (tests, tools), on the store's own connection, taking turns with this process's other writers
/// here rather than in SQLite's busy handler, which sleeps in steps of milliseconds.
struct Writes {
    private static let turns = Mutex(())
    let db: Connection
    let writer: SharedWriter?

    /// Runs `body` on the write connection, alone in this process.
    func run<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        if let writer { return try writer.write(body) }
        return try Self.turns.withLock { _ in try body(db) }
    }
}
