import Synchronization

/// The process's one connection for writes, behind a lock; reads stay on each thread's own
/// connection. SQLite commits one writer at a time anyway, and a connection drops its page cache
/// whenever another connection has written: with a writer per request thread, every insert
/// re-read the pages it touched (about ten `pread`s with four threads). Through one connection
/// the cache stays warm.
public final class SharedWriter: Sendable {
    private let connection: Mutex<Connection>

    public init(_ connection: sending Connection) {
        self.connection = Mutex(connection)
    }

    /// Runs `body` on the write connection, alone.
    func write<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        try connection.withLock { connection in try body(connection) }
    }
}
