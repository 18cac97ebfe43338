#if PostgreSQL
/// Watches one LISTEN channel on a connection: `changed` is true after a NOTIFY on it since the
/// last call, or after a reconnect, since notifications sent while the connection was down are
/// lost and the caller must look again. A broken connection is tried again every 250 ms rather
/// than at the next statement, so work from other hosts after a server restart or failover
/// still wakes the watcher on time.
final class PGWatch {
    let channel: String
    private var listening = false
    /// `db.reconnects` at the last look.
    private var reconnectsSeen = 0
    /// When a broken listening connection was last tried again (monotonic µs).
    private var lastReconnectAttempt: Int64 = 0

    /// `channel` is a fixed identifier, never user input.
    init(channel: String) { self.channel = channel }

    /// The first call starts listening (and says nothing changed).
    func changed(_ db: PGConnection) throws -> Bool {
        guard listening else {
            try db.keep("LISTEN \(channel)")
            (listening, reconnectsSeen) = (true, db.reconnects)
            return false
        }
        var changed = db.notified()
        if !db.isConnected, monotonicMicroseconds() - lastReconnectAttempt >= 250_000 {
            lastReconnectAttempt = monotonicMicroseconds()
            try db.reconnect()
        }
        if db.reconnects != reconnectsSeen {
            reconnectsSeen = db.reconnects
            changed = true
        }
        return changed
    }
}

/// The queue on a PostgreSQL connection; `taskfcgi_queue` notifications (sent by a trigger on
/// every enqueue and retry, from any host) wake its watcher.
final class PostgresQueueStore: QueueStore {
    let db: PGConnection
    private let watch = PGWatch(channel: "taskfcgi_queue")

    init(_ db: PGConnection) { self.db = db }

    var dialect: SQLDialect { .postgres }
    var reader: any SQLExecutor { db }

    func write<T: Sendable>(_ body: (any SQLExecutor) throws -> T) throws -> T {
        try db.transaction { try body(db) }
    }

    func changedElsewhere() throws -> Bool { try watch.changed(db) }
}
#endif
