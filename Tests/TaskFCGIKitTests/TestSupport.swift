import Foundation
import Testing
@testable import TaskFCGIKit
#if PostgreSQL
import TestPostgres
#endif

/// A fresh folder under the system temp dir, unique to one test (tests run in parallel).
/// The path is canonical (symlinks resolved), so it compares equal to the paths `Config` builds.
func makeTempFolder(_ label: String = #function) throws -> String {
    let base = FileManager.default.temporaryDirectory.path
    let name = "taskfcgi-tests-" + label.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString
    let path = (base as NSString).appendingPathComponent(name)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    guard let real = realpath(path, nil) else { return path }
    defer { free(real) }
    return String(cString: real)
}

/// Removes a folder made by `makeTempFolder`; failures are ignored.
func removeFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Polls `condition` every `every` until it holds or `deadline` passes; returns whether it held.
/// Used instead of fixed sleeps wherever a test waits for the job thread.
func poll(deadline seconds: Double = 3, every milliseconds: UInt32 = 20,
          _ condition: () throws -> Bool) rethrows -> Bool {
    let end = monotonicMicroseconds() + Int64(seconds * 1_000_000)
    while true {
        if try condition() { return true }
        if monotonicMicroseconds() >= end { return false }
        usleep(milliseconds * 1000)
    }
}

/// A shared writer on `folder`'s new database (table `t (x INTEGER)`), and another connection
/// holding its write lock (`BEGIN IMMEDIATE`) until the test commits it.
func writerBehindHeldLock(_ folder: String, busyTimeoutMilliseconds: Int32) throws -> (writer: SharedWriter, holder: Connection) {
    let path = folder + "/tasks.db"
    let holder = try Connection(location: path)
    try holder.execute("CREATE TABLE t (x INTEGER)")
    let writer = SharedWriter(try Connection(location: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds))
    try holder.execute("BEGIN IMMEDIATE")
    return (writer, holder)
}

/// A migrated task store on a new connection to a SQLite file.
func openStore(_ path: String, now: Instant = Instant(milliseconds: 0)) throws -> SQLiteTaskStore {
    let db = try Connection(location: path)
    try Schema.migrate(db, now: now)
    return SQLiteTaskStore(db)
}

/// The instant for a UTC wall-clock reading, for readable test data.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Instant {
    Instant(milliseconds: CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        .secondsAsIfUTC * 1000)
}

/// A clock that reads what the test sets.
final class TestClock: WallClock, @unchecked Sendable {
    var instant: Instant
    init(_ instant: Instant) { self.instant = instant }
    func now() -> Instant { instant }
}

/// Takes the job lease for a test holder (replacing whatever row is there) and returns its fence.
func takeTestLease(_ jobs: JobStore, holder: String = "test-holder", now: Instant, ttl: Interval = .minutes(1)) throws -> Fence {
    let claim = Lease(holder: holder, pid: 1, host: "test", machine: "test", generation: 0, acquiredAt: now, expiresAt: now.adding(ttl))
    let taken = try #require(try jobs.takeLease(claim, replacing: try jobs.currentLease(), expiredAt: nil))
    return Fence(holder: holder, generation: taken.generation, ttl: ttl)
}

/// Runs `job` once at `now` on `db` under a freshly taken lease, as the job thread would.
func runJob(_ job: any Job, _ db: Connection, now: Instant) throws -> Int {
    try runJob(job, tasks: SQLiteTaskStore(db), jobs: SQLiteJobStore(db), now: now)
}

/// Runs `job` once at `now` on these stores under a freshly taken lease, as the job thread would.
func runJob(_ job: any Job, tasks: TaskStore, jobs: JobStore, now: Instant) throws -> Int {
    let fence = try takeTestLease(jobs, now: now)
    let context = JobContext(job: job.name, slot: nil, kind: .manual, fence: fence, startedAt: now,
                             leaseValidUntil: now.adding(fence.ttl), tasks: tasks, store: jobs,
                             clock: TestClock(now), stopping: { false }, renewed: { _ in })
    return try job.run(context)
}

extension SQLiteTaskStore {
    /// The due-task job's sweep at `now`, in batches of `batchSize`.
    func completeDue(now: Instant, batchSize: Int) throws -> Int {
        try runJob(CompleteDueTasks(batchSize: batchSize), db, now: now)
    }
}

/// A storage backend the shared store tests run against: SQLite always; PostgreSQL in a build with
/// the trait, on a throw-away server (required under CI, skipped with a note elsewhere if the server
/// cannot start).
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static var all: [Backend] {
        #if PostgreSQL
        if PostgresServer.shared != nil || ProcessInfo.processInfo.environment["CI"] == "true" { return [.sqlite, .postgres] }
        print("note: no PostgreSQL server could be started; the store tests run on SQLite only")
        #endif
        return [.sqlite]
    }
}

/// A migrated database on one backend, with a task store and a job store on one connection (as one
/// thread of one worker has), and more connections on demand (other threads, other workers).
final class TempStore {
    let backend: Backend
    let store: TaskStore
    let jobs: JobStore
    /// The connection itself, for statements the stores do not offer.
    let sql: any SQLExecutor
    private let folder: String?
    /// The SQLite file (nil on PostgreSQL).
    let path: String?
    private let open: () throws -> (TaskStore, JobStore, any SQLExecutor)

    /// `events`: the task stores queue webhook deliveries there (as a worker with webhooks does).
    init(_ backend: Backend = .sqlite, _ label: String = #function, events: TaskEvents? = nil) throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            let folder = try makeTempFolder(label)
            let path = folder + "/tasks.db"
            _ = try openStore(path)
            (self.folder, self.path) = (folder, path)
            open = {
                let db = try Connection(location: path)
                return (SQLiteTaskStore(db, events: events), SQLiteJobStore(db), db)
            }
        case .postgres:
            (folder, path) = (nil, nil)
            #if PostgreSQL
            let server = try #require(PostgresServer.shared, "no PostgreSQL server")
            let storage = try PostgresStorage.open(try server.createDatabase(), password: nil, busyTimeout: .seconds(5),
                                                   log: try Log(path: "-", level: .error), now: Instant(milliseconds: 0))
            open = {
                let db = try storage.connect()
                return (PostgresTaskStore(db, events: events), PostgresJobStore(db), db)
            }
            #else
            throw HarnessFailure("this build has no PostgreSQL")
            #endif
        }
        (store, jobs, sql) = try open()
    }

    /// The stores of another thread or worker, on a new connection.
    func another() throws -> (store: TaskStore, jobs: JobStore, sql: any SQLExecutor) {
        let (store, jobs, sql) = try open()
        return (store, jobs, sql)
    }

    /// The first column of the first row, as an integer.
    func int(_ query: String, _ values: SQLValue...) throws -> Int64? {
        try sql.query(query, values).first?.first?.int
    }

    /// The due-task job's sweep at `now`, in batches of `batchSize`.
    func completeDue(now: Instant, batchSize: Int) throws -> Int {
        try runJob(CompleteDueTasks(batchSize: batchSize), now: now)
    }

    /// The purge job's deletions of tasks completed before `cutoff`.
    func purgeCompleted(before cutoff: Instant, batchSize: Int) throws -> Int {
        try runJob(PurgeCompletedTasks(retain: .milliseconds(0), batchSize: batchSize), now: cutoff)
    }

    /// Runs `job` once at `now` under a freshly taken lease, as the job thread would.
    func runJob(_ job: any Job, now: Instant) throws -> Int {
        try TaskFCGIKitTests.runJob(job, tasks: store, jobs: jobs, now: now)
    }

    deinit { if let folder { removeFolder(folder) } }
}

/// Five tasks, for the list tests: due at 30, 10, 20, 20 (later id) and 5 minutes after `t0`; those
/// due at 5 and 10 completed. By title.
func seedFiveTasks(_ temp: TempStore, at t0: Instant) throws -> [String: TaskItem] {
    var tasks: [String: TaskItem] = [:]
    for (title, minutes) in [("d30", Int64(30)), ("d10", 10), ("d20a", 20), ("d20b", 20), ("d05", 5)] {
        tasks[title] = try temp.store.create(title: title, due: t0.adding(.minutes(minutes)), now: t0)
    }
    #expect(try temp.completeDue(now: t0.adding(.minutes(10)), batchSize: 100) == 2)
    return tasks
}

/// A test's own precondition failed.
struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
