import Testing
@testable import TaskFCGIKit

/// `TaskStore.reading`: the list page reads its counts, change token and rows in one go.
@Suite struct ReadTransactionTests {
    private let t0 = utc(2026, 11, 24, 12)

    private struct Refused: Error {}

    @Test(arguments: Backend.all) func readingReturnsWhatItsBodyReadsAndPassesErrorsOn(_ backend: Backend) throws {
        let temp = try TempStore(backend)
        _ = try temp.store.create(title: "one", due: t0, now: t0)
        let (counts, titles) = try temp.store.reading {
            (try temp.store.counts(), try temp.store.list(.all, after: nil, limit: 10).map(\.title))
        }
        #expect(counts == TaskCounts(pending: 1, completed: 0))
        #expect(titles == ["one"])
        #expect(throws: Refused.self) { try temp.store.reading { () throws -> Int in throw Refused() } }
        // Nested, the inner read runs in the outer one.
        #expect(try temp.store.reading { try temp.store.reading { try temp.store.counts().all } } == 1)
    }

    // SQLite: the body's reads share one snapshot, so a commit from another connection between
    // them is not seen until the read ends.
    @Test func sqliteReadsInsideSeeOneSnapshot() throws {
        let temp = try TempStore(.sqlite)
        let other = try openStore(try #require(temp.path))
        _ = try temp.store.create(title: "before", due: t0, now: t0)
        let (first, second) = try temp.store.reading {
            let first = try temp.store.counts().all
            _ = try other.create(title: "meanwhile", due: t0, now: t0)
            return (first, try temp.store.list(.all, after: nil, limit: 10).count)
        }
        #expect(first == 1 && second == 1)
        #expect(try temp.store.counts().all == 2)
    }

    // A body that throws still ends the read: later reads see later commits.
    @Test func sqliteAFailedReadEndsItsTransaction() throws {
        let temp = try TempStore(.sqlite)
        let other = try openStore(try #require(temp.path))
        #expect(throws: Refused.self) {
            try temp.store.reading {
                _ = try temp.store.counts()
                throw Refused()
            }
        }
        _ = try other.create(title: "after", due: t0, now: t0)
        #expect(try temp.store.counts().all == 1)
        // And the reader's connection can still write (no transaction left open on it).
        _ = try temp.store.create(title: "mine", due: t0, now: t0)
        #expect(try other.counts().all == 2)
    }
}
