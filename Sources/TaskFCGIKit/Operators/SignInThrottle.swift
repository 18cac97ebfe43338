import Synchronization

/// Failed sign-ins per peer over the last minute. From the `limit + 1`-th failure within a
/// window, the peer is refused until a minute after its oldest counted failure; other peers
/// are not affected. Peers are forgotten once their failures are older than the window, so
/// the table stays as small as the set of peers failing right now.
public final class SignInThrottle: Sendable {
    /// Failures allowed within `window` before the peer is throttled.
    let limit: Int
    /// How far back failures count, in milliseconds.
    let window: Int64
    private let failures = Mutex<[String: [Int64]]>([:])

    /// Ten failures a minute, as issue 20 asks; tests may pass smaller numbers.
    public init(limit: Int = 10, windowMilliseconds: Int64 = 60_000) {
        (self.limit, self.window) = (limit, windowMilliseconds)
    }

    /// Seconds until `peer` may try again; nil when it is not throttled.
    func retryAfter(_ peer: String, now: Int64) -> Int? {
        failures.withLock { table in
            guard let times = table[peer] else { return nil }
            let recent = times.filter { $0 > now - window }
            table[peer] = recent.isEmpty ? nil : recent
            // Only the newest limit + 1 are kept: the oldest of them tripped it a minute before release.
            guard recent.count > limit, let oldest = recent.first else { return nil }
            return max(1, Int((oldest + window - now + 999) / 1000))
        }
    }

    /// Counts a failure; returns true when this one crossed the limit.
    @discardableResult
    func fail(_ peer: String, now: Int64) -> Bool {
        failures.withLock { table in
            var times = (table[peer] ?? []).filter { $0 > now - window }
            times.append(now)
            // Only the newest limit + 1 matter for the decision.
            if times.count > limit + 1 { times.removeFirst(times.count - limit - 1) }
            table[peer] = times
            if table.count > 10_000 { table = table.filter { $0.value.last ?? 0 > now - window } }
            return times.count == limit + 1
        }
    }
}
