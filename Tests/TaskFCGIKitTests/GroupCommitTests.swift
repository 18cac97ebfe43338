import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TaskFCGIKit

/// The shared writer commits the writes that queue while another commits in one transaction,
/// each in a savepoint of its own.
@Suite struct GroupCommitTests {
    /// A writer on a new database with a table `t (x INTEGER NOT NULL UNIQUE)`, and a reader.
    private func setUp(_ folder: String) throws -> (SharedWriter, Connection) {
        let path = folder + "/tasks.db"
        let reader = try Connection(location: path)
        try reader.execute("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)")
        return (SharedWriter(try Connection(location: path, busyTimeoutMilliseconds: 5000)), reader)
    }

    @Test func writesQueuedBehindAnotherCommitTogetherAndAFailureStaysItsOwn() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let (writer, reader) = try setUp(folder)
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let results = Mutex<[Int: Bool]>([:])
        let group = DispatchGroup()
        // The first write holds the connection until the others have queued behind it.
        group.enter()
        Thread {
            let ok = (try? writer.write { db -> Int in
                inside.signal()
                release.wait()
                return try db.run("INSERT INTO t VALUES (0)")
            }) != nil
            results.withLock { $0[0] = ok }
            group.leave()
        }.start()
        inside.wait()
        for value in 1...8 {
            group.enter()
            Thread {
                // Value 5 breaks the UNIQUE constraint (5 twice: the second of them fails), and
                // value 7 runs its own transaction, which becomes a savepoint of the group's.
                let ok: Bool
                if value == 5 {
                    ok = (try? writer.write { db in try db.run("INSERT INTO t VALUES (5)"); return try db.run("INSERT INTO t VALUES (5)") }) != nil
                } else if value == 7 {
                    ok = (try? writer.write { db in try db.transaction { try db.run("INSERT INTO t VALUES (7)") } }) != nil
                } else {
                    ok = (try? writer.write { db in try db.run("INSERT INTO t VALUES (?)", .int(Int64(value))) }) != nil
                }
                results.withLock { $0[value] = ok }
                group.leave()
            }.start()
        }
        // The eight queue up behind it, then it is freed: they commit in one transaction.
        let queued = poll(deadline: 10, every: 2) { writer.queuedWrites == 8 }
        #expect(queued, "\(writer.queuedWrites) writes queued behind the first")
        release.signal()
        #expect(group.wait(timeout: .now() + 10) == .success)
        let outcome = results.withLock { $0 }
        #expect(outcome.count == 9)
        #expect(outcome.filter { $0.value }.map(\.key).sorted() == [0, 1, 2, 3, 4, 6, 7, 8], "\(outcome)")
        let stored = try reader.rows("SELECT x FROM t ORDER BY x") { $0.int(0) }
        #expect(stored == [0, 1, 2, 3, 4, 6, 7, 8], "the failed write's first insert must be rolled back with it")
    }

    @Test func manyThreadsWritingAtOnceEachSeeTheirOwnRowCommitted() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let (writer, reader) = try setUp(folder)
        let ids = Mutex<[Int64]>([])
        let group = DispatchGroup()
        for thread in 0..<8 {
            group.enter()
            Thread {
                for index in 0..<200 {
                    if let id = try? writer.write({ db -> Int64 in
                        try db.run("INSERT INTO t VALUES (?)", .int(Int64(thread * 1000 + index)))
                        return db.lastInsertID
                    }) {
                        ids.withLock { $0.append(id) }
                    }
                }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        let returned = ids.withLock { $0 }
        #expect(returned.count == 1600 && Set(returned).count == 1600, "each write's own rowid, once")
        #expect(try reader.firstRow("SELECT count(*) FROM t") { $0.int(0) } == 1600)
        let rowids = Set(try reader.rows("SELECT rowid FROM t") { $0.int(0) })
        #expect(rowids == Set(returned))
    }
}
