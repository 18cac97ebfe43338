#if PostgreSQL
import Foundation
import Testing

extension IntegrationTests.PostgresCluster {
    /// `[queue:webhook] job N attempt 1 done` lines of one worker's log: the deliveries its own
    /// queue threads made.
    static func deliveriesDone(_ member: Cluster.Member) -> Int {
        member.log.split(separator: "\n").filter { $0.contains("[queue:webhook] job ") && $0.contains(" attempt 1 done") }.count
    }

    /// `taskfcgi_queue_attempts_total{kind="webhook",outcome="completed"}` of one worker's /metrics.
    static func completedAttempts(_ member: Cluster.Member) throws -> Int {
        let prefix = "taskfcgi_queue_attempts_total{kind=\"webhook\",outcome=\"completed\"} "
        let line = try member.http.get("/metrics").body.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    @Test("two workers, one receiver: every created and completed event delivered once, signed, by both workers' queue threads",
          .enabled(if: WebhookReceiver.shouldRun, "needs the Python validators (scripts/python-tools.sh)"))
    func everyEventDeliveredByBothWorkers() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let secretFile = receiver.folder + "/hook.secret"
        try (receiver.secretText + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let webhooks: [String: Any] = [
            "endpoints": [["url": receiver.url, "secretFile": secretFile]],
            "allowPrivateNetworks": true, "maxAttempts": 5, "backoff": ["first": "200ms", "max": "1s"],
        ]
        let cluster = try Cluster(workers: 2, config: ["webhooks": webhooks], postgres: try PostgresDatabase())
        defer { cluster.close() }
        _ = try cluster.requireHolder()

        // 20 tasks through each worker's own front end, in turn; every fourth due a minute ago, which
        // the holder's sweep completes (a task.completed event from its fenced batch).
        let now = nowMilliseconds()
        var dueIDs: Set<Int64> = [], allIDs: Set<Int64> = []
        for index in 0..<40 {
            let member = cluster.members[index % 2]
            let past = index % 4 == 0
            let due = utcFormText(past ? now - 60_000 : now + 3_600_000)
            let created = try cluster.quickCreate(port: member.http.port, title: "hook #\(index) via \(member.index)", due: due)
            let id = try #require(created.id, "POST #\(index) to \(member.name) answered \(created.status)")
            allIDs.insert(id)
            if past { dueIDs.insert(id) }
        }
        #expect(dueIDs.count == 10 && allIDs.count == 40)

        let expected = allIDs.count + dueIDs.count
        let seen = try receiver.waitFor(count: expected, timeout: 30)
        var queue: [String: Any] = [:]
        #expect(waitUntil(15) {
            queue = (try? Self.queue(cluster.members[0])) ?? [:]
            return WebhookDeliveryTests.count(queue, "completed") == expected
        }, "\(queue)\n\(cluster.diagnostics)")
        #expect(WebhookDeliveryTests.count(queue, "discarded") <= 0 && WebhookDeliveryTests.count(queue, "retryable") <= 0, "\(queue)")

        // Every event once, verified by the reference implementation; nothing more arrives.
        let all = try receiver.deliveries()
        #expect(all.count == expected, "\(all.count) requests for \(expected) events (\(seen.count) when first counted)")
        #expect(Set(all.compactMap(\.id)).count == all.count, "a webhook-id was delivered twice")
        #expect(all.allSatisfy { $0.verified && $0.status == 200 }, "\(all.filter { !$0.verified }.map { $0.error ?? "" })")
        func ids(_ type: String) -> [Int64] {
            all.filter { $0.type == type }.compactMap {
                ((WebhookDeliveryTests.body($0)["data"] as? [String: Any])?["id"] as? Int).map(Int64.init)
            }
        }
        #expect(Set(ids("task.created")) == allIDs && ids("task.created").count == 40)
        #expect(Set(ids("task.completed")) == dueIDs && ids("task.completed").count == 10)

        // Worked by every worker, not only the lease holder.
        var done: [Int] = []
        var attempts: [Int] = []
        for member in cluster.members {
            done.append(Self.deliveriesDone(member))
            attempts.append(try Self.completedAttempts(member))
        }
        print("[PostgresCluster] \(expected) webhook deliveries by worker: log \(done), metrics \(attempts)")
        #expect(done.allSatisfy { $0 > 0 } && done.reduce(0, +) == expected, "deliveries by worker: \(done)\n\(cluster.diagnostics)")
        #expect(attempts == done, "metrics \(attempts) vs log \(done)")
    }

    /// `GET /api/queue` through one worker (an operator route, from loopback), decoded.
    static func queue(_ member: Cluster.Member) throws -> [String: Any] {
        let response = try member.http.get("/api/queue")
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any] else {
            throw HarnessError("GET /api/queue: \(response)")
        }
        return object
    }
}
#endif
