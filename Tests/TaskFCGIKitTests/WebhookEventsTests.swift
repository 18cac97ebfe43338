import Foundation
import Testing
@testable import TaskFCGIKit

/// Task changes queue their webhook deliveries in the change's own transaction, and the
/// `webhooks` config section is checked by the kind that owns it.
@Suite struct WebhookEventsTests {
    let t0 = Instant(milliseconds: 1_800_000_000_000)
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static func events(_ types: Set<TaskEventType> = Set(TaskEventType.allCases)) throws -> TaskEvents {
        var settings = WebhookSettings()
        settings.endpoints = [WebhookEndpoint(url: "https://hooks.example.com/a?token=s3cret", secret: try WebhookSecret(secret), events: types),
                              WebhookEndpoint(url: "https://other.example.com/b", secret: try WebhookSecret(secret), events: [.completed])]
        return TaskEvents(settings)
    }

    private func deliveries(_ temp: TempStore) throws -> [(type: String, id: String, url: String)] {
        try temp.sql.query("SELECT args FROM queue_jobs WHERE kind = 'webhook' ORDER BY id").compactMap { row in
            guard let args = row[0].text.flatMap(WebhookDelivery.Args.init(json:)),
                  case .object(let body)? = try? JSONValue.parse(Array(args.body.utf8)), case .string(let type)? = body["type"] else { return nil }
            return (type, args.id, args.url)
        }
    }

    @Test(arguments: Backend.all) func createsDeletesAndSweepsQueueOneDeliveryPerSubscribedEndpoint(_ backend: Backend) throws {
        let temp = try TempStore(backend, events: try Self.events())
        let task = try temp.store.create(title: "a", due: t0, now: t0)
        _ = try temp.store.create(title: "b", due: t0.adding(.hours(1)), now: t0, idempotencyKey: "k", keptSince: t0)
        #expect(try temp.completeDue(now: t0.adding(.minutes(1)), batchSize: 10) == 1)
        #expect(try temp.store.delete(id: task.id))
        #expect(try !temp.store.delete(id: task.id), "a second delete queues nothing")
        let queued = try deliveries(temp)
        #expect(queued.map(\.type) == ["task.created", "task.created", "task.completed", "task.completed", "task.deleted"])
        #expect(queued.filter { $0.url.hasPrefix("https://other") }.map(\.type) == ["task.completed"])
        #expect(Set(queued.map(\.id)).count == 5 && queued.allSatisfy { $0.id.hasPrefix("msg_") && $0.id.count == 28 })
    }

    @Test func aCreateThatRollsBackQueuesNothingAndAFailedEnqueueRollsTheCreateBack() throws {
        let temp = try TempStore(.sqlite, events: try Self.events())
        try temp.sql.run("CREATE TRIGGER no_poison BEFORE INSERT ON tasks WHEN NEW.title = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        #expect(throws: (any Error).self) { _ = try temp.store.create(title: "poison", due: t0, now: t0) }
        #expect(try temp.int("SELECT count(*) FROM queue_jobs") == 0)
        try temp.sql.run("CREATE TRIGGER no_queue BEFORE INSERT ON queue_jobs BEGIN SELECT RAISE(ABORT, 'queue full'); END")
        #expect(throws: (any Error).self) { _ = try temp.store.create(title: "fine", due: t0, now: t0) }
        #expect(try temp.int("SELECT count(*) FROM tasks") == 0, "the task is not stored without its deliveries")
    }

    @Test func theBodyIsTheEventWithTheTaskAsTheAPIShowsIt() throws {
        let task = TaskItem(id: 7, title: "Expire \"42\"", due: t0, isCompleted: true, actionAt: t0, createdAt: t0)
        let body = TaskEvents.body(.completed, task, now: t0)
        #expect(body == "{\"type\":\"task.completed\",\"timestamp\":\"\(t0)\",\"data\":\(APITasks.json(task))}")
        #expect(WebhookDelivery.shown("https://hooks.example.com:8443/a?token=s3cret") == "https://hooks.example.com/…")
        let args = WebhookDelivery.Args(url: "https://h/", id: "msg_1", body: body)
        #expect(WebhookDelivery.Args(json: args.json) == args)
    }

    @Test func theWebhooksSectionIsCheckedByName() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        try (Self.secret + "\n").write(toFile: folder + "/hook.secret", atomically: true, encoding: .utf8)
        try "whsec_###\n".write(toFile: folder + "/bad.secret", atomically: true, encoding: .utf8)
        func load(_ webhooks: String) throws -> Config {
            let file = folder + "/taskfcgi.json"
            try "{connectionString: 'tasks.db', logPath: 'log', webhooks: \(webhooks)}".write(toFile: file, atomically: true, encoding: .utf8)
            return try Config.load(path: file)
        }
        func problem(_ webhooks: String) -> String {
            do { _ = try load(webhooks); return "loaded" } catch { return "\(error)" }
        }
        let good = try load("{endpoints: [{url: 'https://h.example/x', secretFile: 'hook.secret', events: ['task.completed']}], maxAttempts: 3, backoff: {first: '1s', max: '1m'}}")
        let settings = try #require(try WebhookSettings.from(good))
        #expect(settings.endpoints.first?.events == [.completed] && settings.maxAttempts == 3)
        #expect(settings.backoff == Backoff(first: .seconds(1), max: .minutes(1)))
        #expect(QueueRegistry.kinds(for: good).map(\.name) == ["webhook"])
        #expect(problem("{endpoints: [{url: 'ftp://h/x', secretFile: 'hook.secret'}]}").contains("webhooks.endpoints[1].url"))
        #expect(problem("{endpoints: [{url: 'https://h/x', secretFile: 'missing.secret'}]}").contains("webhooks.endpoints[1].secretFile"))
        #expect(problem("{endpoints: [{url: 'https://h/x', secretFile: 'bad.secret'}]}").contains("webhooks.endpoints[1].secretFile"))
        #expect(problem("{endpoints: [{url: 'https://h/x', secretFile: 'hook.secret', events: ['task.moved']}]}").contains("task.moved"))
        #expect(problem("{endpoints: [{url: 'https://h/x', secretFile: 'hook.secret'}], backoff: {first: '1m', max: '1s'}}").contains("webhooks.backoff.max"))
        #expect(problem("{endpoint: []}").contains("did you mean \"endpoints\""))
        #expect(!problem("{endpoints: [{url: 'https://h/x', secretFile: 'bad.secret'}]}").contains("###"), "never the secret")
        #expect(QueueRegistry.kinds(for: try load("{}")).isEmpty)
    }
}
