import Foundation
import Synchronization
import Testing

extension IntegrationTests {
    /// Who is busy with what, through nginx: `/status`'s `requestThreads` and `jobThread`, and the
    /// `[slow]` line of a request past `slowRequest`.
    @Suite("Status: request threads and slow requests")
    struct StatusThreads {
        /// `/status` as JSON.
        static func status(_ stack: Stack) throws -> [String: Any] {
            let response = try stack.http.get("/status")
            guard response.status == 200,
                  let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] else {
                throw HarnessError("GET /status: \(response)")
            }
            return object
        }

        /// One of the phases of a slow line (`1.20 s`, `250.0 ms`) in seconds.
        static func seconds(_ text: Substring) -> Double {
            text.hasSuffix(" ms") ? (Double(text.dropLast(3)) ?? -1) / 1000 : Double(text.dropLast(2)) ?? -1
        }

        @Test("a POST waiting for the writer (the database held by another connection) is busy on /status with its method and path, no query; idle after; slowRequest 50ms logs it once, the writer wait dominating")
        func busyThenIdleAndOneSlowLine() throws {
            let stack = try Stack(config: ["slowRequest": "50ms", "busyTimeout": "10s"])
            defer { stack.close() }
            #expect(waitUntil(10) { stack.box.log.contains("holding the job lease") }, "\(stack.diagnostics)")
            let before = try Self.status(stack)
            let threads = try #require(before["requestThreads"] as? [[String: Any]], "\(before)")
            #expect(threads.map { $0["index"] as? Int } == [1, 2, 3, 4], "\(before)")
            #expect(before["threads"] as? Int == 4, "the existing count stays")
            #expect(before.keys.contains("jobThread"), "\(before)")

            let lock = try WriteLockHolder(database: stack.box.databasePath, uncommittedTitle: "held elsewhere")
            var released = false
            defer { if !released { try? lock.release() } }
            let answer = Mutex<Int?>(nil)
            let http = stack.http
            let answered = DispatchSemaphore(value: 0)
            Thread {
                let response = try? http.post("/tasks?secret=hunter2", form: [("title", "waits for the writer"), ("due", "2030-01-01T10:00")])
                answer.withLock { $0 = response?.status ?? -1 }
                answered.signal()
            }.start()

            // Busy with the POST, waiting for the writer, for at least 300 ms before the lock goes.
            var busy: [String: Any] = [:]
            var raw = ""
            let held = try waitUntil(10, every: 0.05) {
                let response = try stack.http.get("/status")
                raw = response.body
                let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] ?? [:]
                busy = (object["requestThreads"] as? [[String: Any]] ?? []).first { $0["method"] as? String == "POST" } ?? [:]
                return busy["phase"] as? String == "writer" && (busy["elapsedMs"] as? Double ?? 0) >= 300
            }
            #expect(held, "no thread shown waiting for the writer with POST: \(busy)\n\(stack.diagnostics)")
            #expect(busy["state"] as? String == "busy" && busy["path"] as? String == "/tasks", "\(busy)")
            #expect((busy["startedAt"] as? String)?.hasSuffix("Z") == true, "\(busy)")
            #expect(!raw.contains("hunter2"), "the query string reached /status: \(raw)")
            let index = busy["index"] as? Int ?? 0
            try lock.release()
            released = true
            #expect(answered.wait(timeout: .now() + 15) == .success)
            #expect(answer.withLock { $0 } == 303, "\(stack.diagnostics)")

            // Idle after: the only busy thread is the one answering this /status (it may be the
            // very thread that served the POST).
            var after: [[String: Any]] = []
            let idle = try waitUntil(5, every: 0.05) {
                after = try Self.status(stack)["requestThreads"] as? [[String: Any]] ?? []
                let busy = after.filter { $0["state"] as? String == "busy" }
                return busy.count == 1 && busy[0]["method"] as? String == "GET" && busy[0]["path"] as? String == "/status"
            }
            #expect(idle, "\(after)")
            let thread = after.first { $0["index"] as? Int == index } ?? [:]
            #expect(thread["method"] as? String != "POST", "\(thread)")
            #expect(after.filter { $0["state"] as? String == "idle" }.allSatisfy {
                $0["method"] == nil && ($0["idleSince"] as? String)?.hasSuffix("Z") == true && $0["idleMs"] is Double
            }, "\(after)")

            // One slow line, after the response was sent, naming its phases.
            #expect(waitUntil(5) { stack.box.log.contains("[slow] POST /tasks ") }, "\(stack.diagnostics)")
            let slow = stack.box.logLines.filter { $0.contains("[slow] POST") }
            #expect(slow.count == 1, "\(slow)")
            let line = try #require(slow.first)
            #expect(line.contains(" WARN  [slow] POST /tasks ") && !line.contains("hunter2") && !line.contains("?"), "\(line)")
            let pattern = #/\[slow\] POST /tasks ([0-9.]+ m?s): writer ([0-9.]+ m?s), handler ([0-9.]+ m?s), render ([0-9.]+ m?s), write ([0-9.]+ m?s)$/#
            let match = try #require(line.firstMatch(of: pattern), "\(line)")
            let (total, writer, handler, render, write) = (Self.seconds(match.output.1), Self.seconds(match.output.2),
                                                           Self.seconds(match.output.3), Self.seconds(match.output.4),
                                                           Self.seconds(match.output.5))
            #expect(writer >= 0.3 && writer > handler + render + write, "the writer wait dominates: \(line)")
            #expect(total >= writer && total < 15, "\(line)")
            print("[status] " + line)
        }
    }
}
