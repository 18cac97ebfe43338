import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// Who is busy with what (`/status`'s `requestThreads`) and where a slow request's time went (the
/// `slowRequest` key is in `EdgeTests`).
@Suite struct RequestStatusTests {
    @Test func aSlotShowsTheRequestAndItsPhaseThenIdle() {
        let board = ThreadBoard(threads: 2)
        let slot = board.slots[1]
        slot.enter(.writer)
        #expect(slot.current.phase == .idle, "a phase outside a request is ignored")
        slot.begin(method: "POST", path: "/tasks", at: 1_000)
        slot.enter(.writer)
        #expect(board.entries.map(\.isBusy) == [false, true])
        #expect(slot.current == ThreadBoard.Entry(index: 2, phase: .writer, method: "POST", path: "/tasks", since: 1_000))
        slot.end(at: 5_000)
        #expect(slot.current == ThreadBoard.Entry(index: 2, phase: .idle, method: "", path: "", since: 5_000))
        slot.end(at: 9_000)
        #expect(slot.current.since == 5_000, "idle since the end of the request, not the last call")
    }

    @Test func statusRendersBusyAndIdleThreadsAndTheJobThread() throws {
        let now = Instant(milliseconds: 1_800_000_000_000)
        let busy = ThreadBoard.Entry(index: 1, phase: .handler, method: "GET", path: "/tasks/7", since: 10_000_000_000)
        let idle = ThreadBoard.Entry(index: 2, phase: .idle, method: "", path: "", since: 11_000_000_000)
        let json = StatusThreads.requestThreads([busy, idle], now: now, monotonic: 11_520_000_000)
        #expect(json[0]["state"] as? String == "busy" && json[0]["phase"] as? String == "handler")
        #expect(json[0]["method"] as? String == "GET" && json[0]["path"] as? String == "/tasks/7")
        #expect(json[0]["elapsedMs"] as? Double == 1520)
        #expect(json[0]["startedAt"] as? String == Instant(milliseconds: now.milliseconds - 1520).description)
        #expect(json[1]["state"] as? String == "idle" && json[1]["idleMs"] as? Double == 520 && json[1]["method"] == nil)
        #expect(StatusThreads.jobThread(nil, now: now) is NSNull)
        let running = RunningJob(name: "completeDueTasks", since: Instant(milliseconds: now.milliseconds - 2500), limit: .minutes(1))
        let job = try #require(StatusThreads.jobThread(running, now: now) as? [String: Any])
        #expect(job["job"] as? String == "completeDueTasks" && job["elapsedMs"] as? Int64 == 2500)
    }

    @Test func theSlowLineNamesEveryPhase() {
        let slow = SlowRequest(method: "GET", path: "/tasks", started: 0, handled: 1_500_000_000, sent: 1_520_000_000,
                               writer: 1_200_000_000, render: 50_000_000)
        #expect(slow.message == "GET /tasks 1.52 s: writer 1.20 s, handler 250.0 ms, render 50.0 ms, write 20.0 ms")
        let quick = SlowRequest(method: "POST", path: "/tasks", started: 100, handled: 100 + 60_400_000, sent: 100 + 60_441_000,
                                writer: 55_000_000, render: 0)
        #expect(quick.message == "POST /tasks 60.4 ms: writer 55.0 ms, handler 5.4 ms, render 0.000 ms, write 0.041 ms")
        // A handler time below the measured waits (clock granularity) is zero, never negative.
        #expect(SlowRequest(method: "GET", path: "/", started: 0, handled: 10, sent: 20, writer: 8, render: 5).handler == 0)
    }

    @Test(arguments: [LogFormat.text, .json])
    func theSlowLineInBothFormats(_ format: LogFormat) throws {
        let folder = try makeTempFolder("slow-\(format)")
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let log = try Log(path: path, level: .info, format: format, clock: StoppedClock(Instant(milliseconds: 0)))
        log.slow(SlowRequest(method: "GET", path: "/tasks", started: 0, handled: 1_500_000_000, sent: 1_520_000_000,
                             writer: 1_200_000_000, render: 50_000_000))
        let line = try String(contentsOfFile: path, encoding: .utf8)
        if format == .text {
            #expect(line == "1970-01-01T00:00:00.000Z WARN  [slow] GET /tasks 1.52 s: writer 1.20 s, handler 250.0 ms, render 50.0 ms, write 20.0 ms\n")
        } else {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["level"] as? String == "warning" && object["source"] as? String == "slow")
            #expect(object["message"] as? String == "GET /tasks 1.52 s: writer 1.20 s, handler 250.0 ms, render 50.0 ms, write 20.0 ms")
            #expect(object["method"] as? String == "GET" && object["path"] as? String == "/tasks")
            #expect(object["durationMs"] as? Double == 1520 && object["writerMs"] as? Double == 1200)
            #expect(object["handlerMs"] as? Double == 250 && object["renderMs"] as? Double == 50 && object["writeMs"] as? Double == 20)
        }
    }

    /// A write queued behind another is waiting for the writer: the request thread's meter gets
    /// the wait and its slot shows the `writer` phase meanwhile; the job thread, without a meter,
    /// is not counted anywhere.
    @Test func aWriteQueuedBehindAnotherCountsAsWaitingForTheWriter() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/tasks.db"
        try Connection(location: path).execute("CREATE TABLE t (x INTEGER)")
        let writer = SharedWriter(try Connection(location: path, busyTimeoutMilliseconds: 5000))
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread {
            _ = try? writer.write { db -> Int in
                inside.signal()
                release.wait()
                return try db.run("INSERT INTO t VALUES (0)")
            }
        }.start()
        inside.wait()
        let slot = ThreadBoard(threads: 1).slots[0]
        let measured = Mutex<(writer: UInt64, render: UInt64)>((0, 0))
        Thread {
            let meter = RequestPhases(slot: slot)
            meter.install()
            defer { RequestPhases.uninstall() }
            slot.begin(method: "POST", path: "/tasks", at: monotonicNanoseconds())
            _ = try? writer.write { db in try db.run("INSERT INTO t VALUES (1)") }
            _ = RequestPhases.rendering { usleep(20_000) }
            measured.withLock { $0 = (meter.writerWait, meter.render) }
            done.signal()
        }.start()
        #expect(poll(deadline: 5, every: 2) { writer.queuedWrites == 1 && slot.current.phase == .writer })
        usleep(200_000)
        release.signal()
        #expect(done.wait(timeout: .now() + 5) == .success)
        let (waited, rendered) = measured.withLock { $0 }
        #expect(waited >= 190_000_000 && waited < 3_000_000_000, "waited \(waited) ns behind a write held 200 ms")
        #expect(rendered >= 19_000_000 && rendered < 2_000_000_000, "rendered \(rendered) ns")
        #expect(slot.current.phase == .handler)
    }

    /// Another process holding the database's write lock is waiting for the writer too (the busy handler).
    @Test func aWriteWaitingForAnotherConnectionsLockCountsAsWaitingForTheWriter() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let (writer, holder) = try writerBehindHeldLock(folder, busyTimeoutMilliseconds: 5000)
        let measured = Mutex<UInt64?>(nil)
        Thread {
            let meter = RequestPhases(slot: nil)
            meter.install()
            defer { RequestPhases.uninstall() }
            _ = try? writer.write { db in try db.run("INSERT INTO t VALUES (1)") }
            measured.withLock { $0 = meter.writerWait }
        }.start()
        usleep(300_000)
        try holder.execute("COMMIT")
        #expect(poll(deadline: 5) { measured.withLock { $0 } != nil })
        let waited = try #require(measured.withLock { $0 })
        #expect(waited >= 250_000_000 && waited < 3_000_000_000, "waited \(waited) ns for a lock held 300 ms")
    }
}

/// A clock that never moves.
private struct StoppedClock: WallClock {
    let instant: Instant
    init(_ instant: Instant) { self.instant = instant }
    func now() -> Instant { instant }
}
