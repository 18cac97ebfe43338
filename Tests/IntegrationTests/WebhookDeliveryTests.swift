import Foundation
import Testing
@testable import TaskFCGIKit

/// Task events as webhooks, end to end: the real worker behind nginx, a real receiver that checks
/// every request with the Standard Webhooks reference implementation (`standardwebhooks`).
@Suite(.serialized, .enabled(if: WebhookReceiver.shouldRun, "needs the Python validators (scripts/python-tools.sh)"))
struct WebhookDeliveryTests {
    /// A stack whose worker delivers every task event to `url` (plus `extra` webhooks keys).
    static func stack(_ receiver: WebhookReceiver, url: String? = nil, extra: [String: Any] = [:]) throws -> Stack {
        let secretFile = receiver.folder + "/hook.secret"
        try (receiver.secretText + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let webhooks: [String: Any] = [
            "endpoints": [["url": url ?? receiver.url, "secretFile": secretFile]],
            "allowPrivateNetworks": true, "maxAttempts": 5, "backoff": ["first": "200ms", "max": "1s"],
        ].merging(extra) { _, new in new }
        return try Stack(config: ["webhooks": webhooks])
    }

    /// `GET /api/queue` from loopback (an operator route), decoded.
    static func queue(_ stack: Stack) throws -> [String: Any] {
        let response = try stack.http.get("/api/queue")
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] else {
            throw HarnessError("GET /api/queue: \(response)")
        }
        return object
    }

    static func count(_ queue: [String: Any], _ state: String) -> Int {
        (queue["counts"] as? [String: Any])?[state] as? Int ?? -1
    }

    static func body(_ delivery: WebhookReceiver.Delivery) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(delivery.body.utf8))) as? [String: Any] ?? [:]
    }

    @Test("created, completed and deleted: one signed delivery each, verified by the reference implementation, the task as the API shows it")
    func everyEventIsDeliveredSigned() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let stack = try Self.stack(receiver)
        defer { stack.close() }
        let due = utcFormText(Int64(Date().timeIntervalSince1970 * 1000) - 60_000)
        let id = try stack.createTask(title: "Notify <me> & \"them\"", due: due)
        // Due a minute ago: the job thread completes it at once, which is the second event.
        let seen = try receiver.waitFor(count: 2, timeout: 15)
        #expect(try stack.http.request("DELETE", "/api/tasks/\(id)").status == 204)
        let all = try receiver.waitFor(count: 3, timeout: 15)
        // Two queue threads deliver at once: no order is promised between the first two.
        #expect(Set(seen.compactMap(\.type)) == ["task.created", "task.completed"], "\(seen.map(\.type))\n\(stack.diagnostics)")
        #expect(all.last?.type == "task.deleted")
        for delivery in all {
            #expect(delivery.verified, "\(delivery.error ?? "")")
            #expect(delivery.signature == delivery.expectedSignature)
            #expect(delivery.status == 200 && delivery.contentType == "application/json")
            let data = Self.body(delivery)["data"] as? [String: Any]
            #expect(data?["id"] as? Int == Int(id) && data?["title"] as? String == "Notify <me> & \"them\"")
        }
        #expect(Set(all.compactMap(\.id)).count == 3, "each event has its own webhook-id")
        let completed = try #require(all.first { $0.type == "task.completed" })
        #expect((Self.body(completed)["data"] as? [String: Any])?["status"] as? String == "completed")
        // Queued, delivered and counted.
        #expect(waitUntil(5) { (try? Self.count(Self.queue(stack), "completed")) == 3 })
        let metrics = try stack.http.get("/metrics").body
        #expect(metrics.contains("taskfcgi_queue_attempts_total{kind=\"webhook\",outcome=\"completed\"} 3"), "\(metrics.suffix(2000))")
        #expect(stack.box.log.contains("[queue:webhook] job 1 attempt 1 done"))
    }

    @Test("a receiver failing with 500 three times: delivered on attempt 4, every attempt with the same webhook-id and a fresh signature")
    func retriedWithTheSameID() throws {
        let receiver = try WebhookReceiver(plan: ["500", "500", "500"])
        defer { receiver.stop() }
        let stack = try Self.stack(receiver)
        defer { stack.close() }
        _ = try stack.createTask(title: "retried", due: utcFormText(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000))
        let attempts = try receiver.waitFor(count: 4, timeout: 20)
        #expect(attempts.map(\.status) == [500, 500, 500, 200])
        #expect(Set(attempts.compactMap(\.id)).count == 1 && attempts.allSatisfy { $0.verified })
        let queue = try Self.queue(stack)
        #expect(Self.count(queue, "completed") == 1 && Self.count(queue, "retryable") == 0)
        // Backoff: 200 ms, 400 ms, 800 ms (±25 %) between attempts.
        let gaps = zip(attempts.dropFirst(), attempts).map { $0.received - $1.received }
        #expect(gaps.count == 3 && gaps[0] >= 0.14 && gaps[2] >= 0.55, "\(gaps)")
    }

    @Test("a receiver down past the last attempt: discarded and shown; after Retry, delivered; Retry and Discard answer 409 and 404 where they do not apply")
    func discardedRetriedAndGone() throws {
        // A port with nothing listening: a receiver started and stopped.
        let first = try WebhookReceiver()
        let port = first.port
        first.stop()
        let receiver = try WebhookReceiver(port: nil)
        defer { receiver.stop() }
        let stack = try Self.stack(receiver, url: "http://127.0.0.1:\(port)/hooks", extra: ["maxAttempts": 2])
        defer { stack.close() }
        _ = try stack.createTask(title: "nobody listens", due: utcFormText(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000))
        var queue: [String: Any] = [:]
        #expect(waitUntil(15) { queue = (try? Self.queue(stack)) ?? [:]; return Self.count(queue, "discarded") == 1 }, "\(queue)")
        let failure = try #require((queue["failures"] as? [[String: Any]])?.first)
        #expect(failure["attempt"] as? Int == 2 && (failure["lastError"] as? String ?? "").contains("refused"), "\(failure)")
        #expect(failure["summary"] as? String == "task.created → http://127.0.0.1/…")
        let page = try stack.http.get("/jobs").body
        #expect(page.contains("id=\"queue\"") && page.contains("nobody listens") == false, "arguments are never shown")
        #expect(page.contains("/jobs/queue/\(failure["id"] as? Int ?? 0)/retry"))

        // The receiver comes back on that port; Retry delivers.
        let back = try WebhookReceiver(port: port, secret: receiver.secretText)
        defer { back.stop() }
        let id = failure["id"] as? Int ?? 0
        let retried = try stack.http.request("POST", "/api/queue/\(id)/retry")
        #expect(retried.status == 200, "\(retried)")
        let delivered = try back.waitFor(count: 1, timeout: 10)
        #expect(delivered.first?.verified == true && delivered.first?.type == "task.created")
        #expect(waitUntil(5) { (try? Self.count(Self.queue(stack), "completed")) == 1 })
        #expect(stack.box.log.contains("action=queue-retry"), "audited")
        #expect(try stack.http.request("POST", "/api/queue/\(id)/retry").status == 409)
        #expect(try stack.http.request("POST", "/api/queue/999999/discard").status == 404)
    }

    @Test("410 Gone: the endpoint is disabled, shown, and its next delivery cancelled without a request")
    func goneDisablesTheEndpoint() throws {
        let receiver = try WebhookReceiver(plan: ["410"])
        defer { receiver.stop() }
        let stack = try Self.stack(receiver)
        defer { stack.close() }
        let later = utcFormText(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
        _ = try stack.createTask(title: "first", due: later)
        _ = try receiver.waitFor(count: 1)
        var queue: [String: Any] = [:]
        #expect(waitUntil(10) { queue = (try? Self.queue(stack)) ?? [:]; return Self.count(queue, "cancelled") == 1 }, "\(queue)")
        #expect((queue["disabledEndpoints"] as? [[String: Any]])?.first?["endpoint"] as? String == "http://127.0.0.1/…")
        _ = try stack.createTask(title: "second", due: later)
        #expect(waitUntil(10) { (try? Self.count(Self.queue(stack), "cancelled")) == 2 })
        #expect(try receiver.deliveries().count == 1, "no request after the 410")
        #expect(stack.box.log.contains("answered 410 Gone: endpoint disabled"))
    }

    @Test("a private destination without allowPrivateNetworks: refused before connecting, discarded with the reason")
    func privateDestinationRefused() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let stack = try Self.stack(receiver, url: "http://localhost:\(receiver.port)/hooks", extra: ["allowPrivateNetworks": false])
        defer { stack.close() }
        _ = try stack.createTask(title: "private", due: utcFormText(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000))
        var queue: [String: Any] = [:]
        #expect(waitUntil(10) { queue = (try? Self.queue(stack)) ?? [:]; return Self.count(queue, "discarded") == 1 }, "\(queue)")
        let failure = (queue["failures"] as? [[String: Any]])?.first
        #expect(failure?["attempt"] as? Int == 1 && (failure?["lastError"] as? String ?? "").contains("loopback"), "\(failure ?? [:])")
        #expect(try receiver.deliveries().isEmpty)
    }

    @Test("kill -9 during deliveries: after a restart every event is delivered at least once, repeats with the same webhook-id")
    func killedDuringDeliveries() throws {
        let receiver = try WebhookReceiver(delay: 0.4)
        defer { receiver.stop() }
        let stack = try Self.stack(receiver)
        defer { stack.close() }
        let later = utcFormText(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
        for index in 0..<12 { _ = try stack.createTask(title: "task \(index)", due: later) }
        _ = try receiver.waitFor(count: 3, timeout: 10)
        stack.worker.send(SIGKILL)
        #expect(stack.worker.waitForExit(5) != nil)
        let second = try stack.box.startWorker()
        defer { second.stop(grace: 5) }
        // Every event arrives; ids repeat only for attempts cut off by the kill.
        var ids: Set<String> = []
        _ = try waitUntil(30, every: 0.05) {
            ids = Set(try receiver.deliveries().compactMap(\.id))
            return ids.count == 12
        }
        #expect(ids.count == 12, "\(ids.count) of 12 events delivered\n\(stack.box.logTail(40))")
        // The claims in flight at the kill are taken back at once (their process is gone), not after a timeout.
        #expect(waitUntil(10) { (try? Self.count(Self.queue(stack), "completed")) == 12 }, "\(stack.box.logTail(30))")
        #expect(stack.box.log.contains("rescued: the worker that claimed it exited"), "\(stack.box.logTail(30))")
        let all = try receiver.deliveries()
        #expect(Set(all.compactMap(\.id)).count == 12)
        #expect(all.count - 12 <= 2, "at most one repeat per queue thread: \(all.count) requests")
        #expect(all.allSatisfy { $0.verified })
    }
}
