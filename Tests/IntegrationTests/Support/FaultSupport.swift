import Dispatch
import Foundation
import Synchronization
import TaskFCGIKit

/// Helpers for FaultTests: a POST load of unique titles, another process's write lock, the tally
/// of faults survived and acknowledged requests lost.

/// One `POST /tasks` over a fresh TCP connection to nginx (`Connection: close`, no curl process, so
/// a few threads post hundreds a second): the status and the id from `Location: /tasks/ID`.
func rawCreate(port: Int, folder: String, title: String, due: String) throws -> (status: Int, id: Int64?) {
    let body = HTTPClient.urlEncoded([("title", title), ("due", due)])
    let request = "POST /tasks HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    let answer = try HTTPClient(port: port, folder: folder).raw(request, timeout: 20)
    let head = answer.components(separatedBy: "\r\n\r\n").first ?? ""
    let lines = head.components(separatedBy: "\r\n")
    let fields = lines.first?.split(separator: " ") ?? []
    guard fields.count >= 2, let status = Int(fields[1]) else {
        throw HarnessError("no HTTP status line in: \(answer.prefix(300))")
    }
    var id: Int64?
    for line in lines.dropFirst() where line.lowercased().hasPrefix("location:") {
        let value = line.dropFirst("location:".count).trimmingCharacters(in: .whitespaces)
        if let range = value.range(of: "/tasks/") { id = Int64(value[range.upperBound...]) }
    }
    return (status, id)
}

/// `clients` threads, each posting `PREFIX-CLIENT-N` titles one after another until `stop()`.
/// Every attempt is recorded with what the client saw: a status (and id), or a transport error.
final class PostLoad: @unchecked Sendable {
    struct Outcome: Sendable {
        var title: String
        var status: Int?
        var id: Int64?
        var error: String?
    }

    private let outcomesLock = Mutex<[Outcome]>([])
    private let stopping = Atomic<Bool>(false)
    private let group = DispatchGroup()

    init(port: Int, folder: String, clients: Int, prefix: String, due: String = "2030-01-01T10:00") {
        for client in 0..<clients {
            group.enter()
            let thread = Thread { [self] in
                var n = 0
                while !stopping.load(ordering: .relaxed) {
                    let title = "\(prefix)-\(client)-\(n)"
                    n += 1
                    var outcome = Outcome(title: title)
                    do {
                        let (status, id) = try rawCreate(port: port, folder: folder, title: title, due: due)
                        outcome.status = status
                        outcome.id = id
                    } catch {
                        outcome.error = "\(error)"
                    }
                    outcomesLock.withLock { $0.append(outcome) }
                }
                group.leave()
            }
            thread.name = "post-load-\(client)"
            thread.start()
        }
    }

    /// What the clients saw so far.
    var outcomes: [Outcome] { outcomesLock.withLock { $0 } }

    func count(status: Int) -> Int { outcomes.filter { $0.status == status }.count }

    /// Asks every client to finish its current request; true if all did within `timeout` seconds.
    @discardableResult
    func stop(timeout: Double = 30) -> Bool {
        stopping.store(true, ordering: .relaxed)
        return group.wait(timeout: .now() + timeout) == .success
    }
}

/// Another process's writer: a TaskFCGIKit `Connection` on its own thread holding `BEGIN IMMEDIATE`
/// (SQLite's write lock) on the database, with one uncommitted row, until `release()`, or
/// `maxHold` seconds at most, so a failing test never leaves the lock behind. Readers are not
/// blocked (WAL); every other writer waits its busy timeout and then gets SQLITE_BUSY.
final class WriteLockHolder: @unchecked Sendable {
    private let acquired = DispatchSemaphore(value: 0)
    private let releasing = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let problem = Mutex<String?>(nil)

    /// Starts the thread and waits until it holds the lock (throws if it cannot get it within 10 s).
    init(database: String, uncommittedTitle: String, maxHold: Double = 20) throws {
        let thread = Thread { [self] in
            do {
                let db = try Connection(location: database, busyTimeoutMilliseconds: 5000)
                try db.execute("BEGIN IMMEDIATE")
                let now = nowMilliseconds()
                try db.run("INSERT INTO tasks (title, due_at, created_at) VALUES (?, ?, ?)",
                           .text(uncommittedTitle), .int(utcMilliseconds(2030, 1, 1, 10, 0)), .int(now))
                acquired.signal()
                _ = releasing.wait(timeout: .now() + maxHold)
                try db.execute("COMMIT")
            } catch {
                problem.withLock { $0 = "\(error)" }
                acquired.signal()
            }
            finished.signal()
        }
        thread.name = "write-lock-holder"
        thread.start()
        guard acquired.wait(timeout: .now() + 10) == .success else { throw HarnessError("no write lock within 10 s") }
        if let problem = problem.withLock({ $0 }) { throw HarnessError("could not take the write lock: \(problem)") }
    }

    /// Commits and ends the transaction; waits until it has.
    func release() throws {
        releasing.signal()
        guard finished.wait(timeout: .now() + 10) == .success else { throw HarnessError("the lock holder did not finish") }
        if let problem = problem.withLock({ $0 }) { throw HarnessError("the lock holder failed: \(problem)") }
    }
}

/// The suite's score: faults the worker survived and requests it acknowledged but lost, printed
/// after every test (the last line is the total for the run).
enum FaultTally {
    private struct State {
        var survived: [String] = []
        var notSurvived: [String] = []
        var acknowledged = 0
        var lost = 0
    }
    private static let state = Mutex(State())

    static func record(_ fault: String, survived: Bool, acknowledged: Int = 0, lost: Int = 0) {
        let line = state.withLock { state -> String in
            if survived { state.survived.append(fault) } else { state.notSurvived.append(fault) }
            state.acknowledged += acknowledged
            state.lost += lost
            return "[faults] \(fault): \(survived ? "survived" : "NOT survived")"
                + (acknowledged > 0 || lost > 0 ? " (acknowledged \(acknowledged), lost \(lost))" : "")
                + " | so far: \(state.survived.count) survived, \(state.notSurvived.count) not survived, "
                + "acknowledged requests lost \(state.lost) of \(state.acknowledged)"
        }
        print(line)
    }
}

/// How many times `needle` occurs in `text`.
func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}
