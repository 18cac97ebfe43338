import Foundation
import Testing
@testable import TaskFCGIKit

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

/// Takes the job lease on `db` for a test holder (replacing whatever row is there) and returns its fence.
func takeTestLease(_ jobs: SQLiteJobStore, holder: String = "test-holder", now: Instant, ttl: Interval = .minutes(1)) throws -> Fence {
    let claim = Lease(holder: holder, pid: 1, host: "test", machine: "test", generation: 0, acquiredAt: now, expiresAt: now.adding(ttl))
    let taken = try #require(try jobs.takeLease(claim, replacing: try jobs.currentLease(), expiredAt: nil))
    return Fence(holder: holder, generation: taken.generation, ttl: ttl)
}

/// Runs `job` once at `now` on `db` under a freshly taken lease, as the job thread would.
func runJob(_ job: any Job, _ db: Connection, now: Instant) throws -> Int {
    let jobs = SQLiteJobStore(db)
    let fence = try takeTestLease(jobs, now: now)
    let context = JobContext(job: job.name, slot: nil, kind: .manual, fence: fence, startedAt: now,
                             deadline: now.adding(fence.ttl), tasks: SQLiteTaskStore(db), store: jobs,
                             clock: TestClock(now), stopping: { false }, renewed: { _ in })
    return try job.run(context)
}

extension SQLiteTaskStore {
    /// The due-task job's sweep at `now`, in batches of `batchSize`.
    func completeDue(now: Instant, batchSize: Int) throws -> Int {
        try runJob(CompleteDueTasks(batchSize: batchSize), db, now: now)
    }

    /// The purge job's deletions of tasks completed before `cutoff`.
    func purgeCompleted(before cutoff: Instant, batchSize: Int) throws -> Int {
        try runJob(PurgeCompletedTasks(retain: .milliseconds(0), batchSize: batchSize), db, now: cutoff)
    }
}
