import Testing
@testable import TaskFCGIKit

@Suite struct BatchPacerTests {
    @Test func sizesTheNextBatchToTakeTheTargetTime() {
        var pacer = BatchPacer(target: 8_000_000, rest: 0.5, first: 1000, bounds: 100...10_000)
        #expect(pacer.rows == 1000)
        // 1,000 rows in 16 ms: half as many fit in 8 ms; the pause is half the batch's time.
        #expect(pacer.record(rows: 1000, nanoseconds: 16_000_000) == 8_000_000)
        #expect(pacer.rows == 500)
        // Fast batches grow the next one, but at most twofold at a time.
        _ = pacer.record(rows: 500, nanoseconds: 100_000)
        #expect(pacer.rows == 1000)
        // Within the bounds, however slow or fast.
        _ = pacer.record(rows: 1000, nanoseconds: 10_000_000_000)
        #expect(pacer.rows == 100)
        for _ in 0..<20 { _ = pacer.record(rows: pacer.rows, nanoseconds: 1000) }
        #expect(pacer.rows == 10_000)
    }

    @Test func aFixedBatchSizeNeverChangesOrPauses() {
        var pacer = CompleteDueTasks(batchSize: 10).pacer
        #expect(pacer.rows == 10)
        #expect(pacer.record(rows: 10, nanoseconds: 50_000_000) == 0)
        #expect(pacer.record(rows: 10, nanoseconds: 1) == 0)
        #expect(pacer.rows == 10)
    }

    @Test func eachBackendGetsItsPacing() {
        let sqlite = CompleteDueTasks(for: .sqlite("/tmp/tasks.db")).pacer
        #expect(sqlite.target == 5_000_000 && sqlite.bounds == 100...10_000 && sqlite.rest == 0)
        let postgres = CompleteDueTasks(for: .postgres("host=db")).pacer
        #expect(postgres.bounds == 1000...1000 && postgres.rows == 1000 && postgres.rest == 0)
    }

    /// The worker's own pacing, on both backends: every due task completed once, whatever the batches.
    @Test(arguments: Backend.all) func theTimedSweepCompletesEveryDueTask(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        let t0 = utc(2026, 11, 24, 12)
        _ = try temp.sql.run("""
            INSERT INTO tasks (title, due_at, created_at)
            SELECT 'due', CAST(? AS BIGINT) - 1000 * n, CAST(? AS BIGINT) FROM (WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2500) SELECT n FROM s) AS s
            """, [.int(t0.milliseconds), .int(t0.milliseconds)])
        let job = CompleteDueTasks(pacer: BatchPacer(target: 1_000_000, rest: 0.1, first: 300, bounds: 100...1000))
        #expect(try temp.runJob(job, now: t0) == 2500)
        #expect(try temp.store.counts() == TaskCounts(pending: 0, completed: 2500))
    }
}
