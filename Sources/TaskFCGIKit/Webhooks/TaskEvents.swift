import Foundation
import Synchronization

/// Turns task changes into webhook deliveries: for each event, one queued delivery per endpoint
/// subscribed to it, written on the caller's executor inside the caller's transaction (the
/// outbox pattern), so a change that rolls back notifies no one. The stores call `record` in
/// their write and `committed` after it.
public final class TaskEvents: Sendable {
    let endpoints: [WebhookEndpoint]
    let maxAttempts: Int
    /// Wakes this process's queue threads (set once the queue exists).
    private let wake = Mutex<@Sendable () -> Void>({})

    public init(_ settings: WebhookSettings) {
        (endpoints, maxAttempts) = (settings.endpoints, settings.maxAttempts)
    }

    /// Calls `body` after each commit that queued deliveries.
    public func onEnqueue(_ body: @escaping @Sendable () -> Void) { wake.withLock { $0 = body } }

    /// Whether anyone listens to `type` (a store can skip reading what the event would carry).
    public func wants(_ type: TaskEventType) -> Bool { endpoints.contains { $0.events.contains(type) } }

    /// Queues the deliveries of `type` for `task` on `db`; returns how many.
    @discardableResult
    public func record(_ type: TaskEventType, _ task: TaskItem, in db: any SQLExecutor, now: Instant) throws -> Int {
        var queued = 0
        for endpoint in endpoints where endpoint.events.contains(type) {
            let delivery = WebhookDelivery.Args(url: endpoint.url, id: Self.messageID(),
                                                body: Self.body(type, task, now: now))
            let job = NewQueueJob(kind: WebhookDelivery.kindName, args: delivery.json, maxAttempts: maxAttempts)
            if try job.enqueue(on: db, now: now) != nil { queued += 1 }
        }
        return queued
    }

    /// The write that recorded events committed: the queue threads look now.
    public func committed() { wake.withLock { $0 }() }

    /// The Standard Webhooks payload: type, timestamp and the task as the JSON API shows it.
    static func body(_ type: TaskEventType, _ task: TaskItem, now: Instant) -> String {
        var json = JSONText()
        json.field("type", type.rawValue)
        json.field("timestamp", now.description)
        json.field("data", json: APITasks.json(task))
        return json.object
    }

    /// `msg_` and 24 base-62 characters from 192 random bits: the `webhook-id`, the same on every
    /// retry. Three draws from the system's generator (each a system call), eight characters each:
    /// a sweep queues one id per completed task and endpoint.
    static func messageID() -> String {
        var random = SystemRandomNumberGenerator()
        var id = "msg_"
        id.reserveCapacity(28)
        for _ in 0..<3 {
            var bits = random.next()
            for _ in 0..<8 {
                id.unicodeScalars.append(base62[Int(bits % 62)])
                bits /= 62
            }
        }
        return id
    }

    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".unicodeScalars)
}
