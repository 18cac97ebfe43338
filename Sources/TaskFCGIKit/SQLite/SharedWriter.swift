import CSQLite

/// The process's one connection for writes; reads stay on each thread's own connection. SQLite
/// commits one writer at a time anyway, and a connection drops its page cache whenever another
/// connection has written: with a writer per request thread, every insert re-read the pages it
/// touched (about ten `pread`s with four threads). Through one connection the cache stays warm.
///
/// Every write has one budget, the connection's busy timeout, for the wait for this lock and
/// the wait for the database together; past it the write throws a busy `SQLiteError` (a 503)
/// having changed nothing. Once the writer inside has waited `stallAfter` for another process,
/// the writers queued behind it give up at once rather than each pin a thread for the budget.
public final class SharedWriter: Sendable {
    private let box: ConnectionBox
    private let gate = WriteGate()
    private let budget: UInt64
    private let stallAfter: UInt64
    private let wait: BusyWait

    public init(_ connection: sending Connection) {
        let budgetMilliseconds = UInt64(max(0, connection.busyTimeoutMilliseconds))
        budget = budgetMilliseconds * 1_000_000
        stallAfter = min(100, budgetMilliseconds) * 1_000_000
        wait = BusyWait(gate: gate, stallAfter: stallAfter)
        wait.install(on: connection)
        box = ConnectionBox(connection)
    }

    /// How long a writer arriving during a stall waits for the writer inside to get through: a
    /// stalled writer retries every 5 ms, so this covers the moment the other process lets go,
    /// while a queue of writers during a long hold still frees its threads almost at once.
    static let stallGrace: UInt64 = 25_000_000

    /// Runs `body` on the write connection within the busy timeout, committed before this returns.
    /// Writes that queue while another commits are committed together (group commit): one
    /// transaction, each write in a savepoint of its own, so one that fails is rolled back alone,
    /// and the pages they share are written to the WAL once instead of once per write.
    ///
    /// The wait for the writer — from queueing to the batch starting, plus the batch's wait for
    /// another process's lock — is added to the calling request thread's `RequestPhases`, and the
    /// thread shows the `writer` phase on `/status` meanwhile.
    func write<T: Sendable>(_ body: (Connection) throws -> T) throws -> T {
        let queued = monotonicNanoseconds()
        let deadline = queued + budget
        return try RequestPhases.during(.writer) { try write(body, queued: queued, deadline: deadline) }
    }

    private func write<T: Sendable>(_ body: (Connection) throws -> T, queued: UInt64, deadline: UInt64) throws -> T {
        return try withoutActuallyEscaping(body) { body in
            let outcome = Outcome<T>()
            let job = WriteGate.Job(run: { connection in
                do {
                    outcome.result = .success(try body(connection))
                    return nil
                } catch {
                    outcome.result = .failure(error)
                    return error
                }
            }, fail: { outcome.result = .failure($0) })
            let entry = gate.enter(job, until: deadline, grace: Self.stallGrace)
            if case .lead(let batch) = entry {
                job.batchStarted = monotonicNanoseconds()
                lead(batch, deadline: deadline)
            }
            // Set by the leader before it left the gate, which this writer has entered since.
            let started = job.batchStarted == 0 ? monotonicNanoseconds() : job.batchStarted
            RequestPhases.waitedForWriter((started &- queued) + job.lockWait)
            switch entry {
            case .lead, .done: break
            case .timedOut:
                throw SQLiteError(code: SQLITE_BUSY, message: "database is locked: this worker's other writes took the whole busy timeout", sql: nil)
            case .stalled:
                throw SQLiteError(code: SQLITE_BUSY, message: "database is locked by another process (a write here has waited over \(stallAfter / 1_000_000) ms for it; not queueing behind it)", sql: nil)
            }
            return try outcome.result!.get()
        }
    }

    /// Writes waiting for the write in progress, to be committed together next.
    var queuedWrites: Int { gate.queued }

    /// Runs a batch as its leader: alone as it is, or several in one transaction.
    /// Each job learns when its batch started and how long the batch waited for the database.
    private func lead(_ batch: [WriteGate.Job], deadline: UInt64) {
        wait.begin(deadline: deadline)
        let started = batch[0].batchStarted
        for job in batch.dropFirst() { job.batchStarted = started }
        let connection = box.connection
        guard batch.count > 1 else {
            let error = batch[0].run?(connection)
            leave(batch, reachedDatabase: !((error as? SQLiteError)?.isBusy ?? false))
            return
        }
        do {
            try connection.run("BEGIN IMMEDIATE")
            for job in batch {
                try connection.run("SAVEPOINT grouped_write")
                if job.run?(connection) != nil { try connection.run("ROLLBACK TO grouped_write") }
                try connection.run("RELEASE grouped_write")
            }
            try connection.run("COMMIT")
            leave(batch, reachedDatabase: true)
        } catch {
            // Nothing of the batch was committed: every write in it fails with the reason.
            _ = try? connection.run("ROLLBACK")
            for job in batch { job.fail?(error) }
            leave(batch, reachedDatabase: !((error as? SQLiteError)?.isBusy ?? false))
        }
    }

    /// Hands the batch back through the gate, each job told how long the batch waited for the lock
    /// first (its writer reads that once the gate lets it go).
    private func leave(_ batch: [WriteGate.Job], reachedDatabase: Bool) {
        for job in batch { job.lockWait = wait.waited }
        gate.leave(batch, reachedDatabase: reachedDatabase)
    }
}

/// One write's result, handed from the leader that ran it to the writer waiting for it (under
/// the gate's mutex).
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// The connection, reachable only by the writer `WriteGate` let in.
private final class ConnectionBox: @unchecked Sendable {
    let connection: Connection
    init(_ connection: sending Connection) { self.connection = connection }
}

/// SQLite's busy handler for the write connection: retries until the current write's deadline
/// (not a fixed timeout per statement), and reports a stall to the gate once the wait is long.
private final class BusyWait: @unchecked Sendable {
    private let gate: WriteGate
    private let stallAfter: UInt64
    // Touched only by the writer inside the gate, and by SQLite on that writer's thread.
    private var deadline: UInt64 = 0
    private var waitingSince: UInt64 = 0
    private var reported = false
    /// Nanoseconds the current batch has slept waiting for another connection's lock.
    private(set) var waited: UInt64 = 0

    init(gate: WriteGate, stallAfter: UInt64) { (self.gate, self.stallAfter) = (gate, stallAfter) }

    func install(on connection: Connection) {
        // The writer outlives its connection's use: the unretained pointer stays valid.
        sqlite3_busy_handler(connection.handle, { context, count in
            Unmanaged<BusyWait>.fromOpaque(context!).takeUnretainedValue().retry(count)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    func begin(deadline: UInt64) {
        self.deadline = deadline
        reported = false
        waited = 0
    }

    /// Nonzero: try again. Sleeps 1, 2, 4 … up to 20 ms (5 ms once stalled, so the writers turned
    /// away meanwhile find the connection free soon after the other process lets go), never past
    /// the deadline.
    private func retry(_ count: Int32) -> Int32 {
        let now = monotonicNanoseconds()
        if count == 0 { waitingSince = now }
        guard now < deadline else { return 0 }
        if !reported, now - waitingSince >= stallAfter {
            reported = true
            gate.markStalled()
        }
        let step = UInt64(min(reported ? 5 : 20, 1 << min(Int(count), 5))) * 1_000_000
        let pause = min(step, deadline - now)
        sqlite3_sleep(Int32(max(1, pause / 1_000_000)))
        waited += monotonicNanoseconds() - now
        return 1
    }
}
