import Foundation
import Synchronization

/// `clients` threads sending requests through nginx one after another until `stop()`, each on a
/// fresh connection: POST /tasks with a unique title and GET /tasks in turn, every target tagged
/// `?c=PREFIX-CLIENT-N` so the worker's access lines can be matched to what the client saw.
final class MixedLoad: @unchecked Sendable {
    struct Outcome: Sendable {
        var method: String
        var target: String
        /// The POSTed title.
        var title: String?
        var status: Int?
        var error: String?
        var seconds: Double
    }

    private let outcomesLock = Mutex<[Outcome]>([])
    private let stopping = Atomic<Bool>(false)
    private let group = DispatchGroup()

    init(port: Int, folder: String, clients: Int, prefix: String, postEvery: Int = 2) {
        for client in 0..<clients {
            group.enter()
            let thread = Thread { [self] in
                var n = 0
                while !stopping.load(ordering: .relaxed) {
                    let tag = "\(prefix)-\(client)-\(n)"
                    let isPost = (n + client) % postEvery == 0
                    n += 1
                    record(MixedLoad.send(port: port, folder: folder, tag: tag, post: isPost))
                }
                group.leave()
            }
            thread.name = "mixed-load-\(client)"
            thread.start()
        }
    }

    private func record(_ outcome: Outcome) { outcomesLock.withLock { $0.append(outcome) } }

    static func send(port: Int, folder: String, tag: String, post: Bool) -> Outcome {
        let target = "/tasks?c=\(tag)"
        var outcome = Outcome(method: post ? "POST" : "GET", target: target, title: post ? tag : nil, seconds: 0)
        var request = "\(outcome.method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if post {
            let body = HTTPClient.urlEncoded([("title", tag), ("due", "2030-01-01T10:00")])
            request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            request += "\r\n"
        }
        let began = monotonicSeconds()
        do {
            let answer = try HTTPClient(port: port, folder: folder).raw(request, timeout: 30)
            let fields = answer.prefix { $0 != "\r" }.split(separator: " ")
            outcome.status = fields.count >= 2 ? Int(fields[1]) : nil
            if outcome.status == nil { outcome.error = "no status line: \(answer.prefix(200))" }
        } catch {
            outcome.error = "\(error)"
        }
        outcome.seconds = monotonicSeconds() - began
        return outcome
    }

    /// What the clients saw so far.
    var outcomes: [Outcome] { outcomesLock.withLock { $0 } }

    /// Asks every client to finish its current request; true if all did within `timeout` seconds.
    @discardableResult
    func stop(timeout: Double = 40) -> Bool {
        stopping.store(true, ordering: .relaxed)
        return group.wait(timeout: .now() + timeout) == .success
    }

    /// "200×120 303×118 error×1" for messages.
    static func summary(_ outcomes: [Outcome]) -> String {
        var counts: [String: Int] = [:]
        for outcome in outcomes { counts[outcome.status.map(String.init) ?? "error", default: 0] += 1 }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
    }
}

/// Slow FastCGI peers on a unix socket: each connects, waits `delay` seconds, then sends a GET,
/// one after another per thread until `stop()`.
final class SlowPeers: @unchecked Sendable {
    private let answers = Mutex<[FastCGIClient.Answer]>([])
    private let failures = Mutex<[String]>([])
    private let stopping = Atomic<Bool>(false)
    private let group = DispatchGroup()

    init(socket: String, peers: Int, delay: Double = 0.5) {
        for peer in 0..<peers {
            group.enter()
            Thread { [self] in
                var n = 0
                while !stopping.load(ordering: .relaxed) {
                    n += 1
                    do {
                        let fd = try FastCGIClient.unix(socket)
                        let answer = FastCGIClient.get("/tasks", on: fd, delay: delay, timeout: 30)
                        answers.withLock { $0.append(answer) }
                    } catch {
                        failures.withLock { $0.append("peer \(peer) #\(n): \(error)") }
                    }
                }
                group.leave()
            }.start()
        }
    }

    var all: [FastCGIClient.Answer] { answers.withLock { $0 } }
    var connectFailures: [String] { failures.withLock { $0 } }

    @discardableResult
    func stop(timeout: Double = 40) -> Bool {
        stopping.store(true, ordering: .relaxed)
        return group.wait(timeout: .now() + timeout) == .success
    }
}
