import Foundation

/// `/status`'s view of who is busy with what (PHP-FPM's `status?full`): each request thread's
/// request or idleness, and the job thread's run. Paths come from the slots, which never hold a
/// query string; JSON escapes them.
enum StatusThreads {
    /// `requestThreads`: one object per thread, in index order. Instants are the wall clock less
    /// the monotonic time elapsed, so a request's start needs no clock reading of its own.
    static func requestThreads(_ entries: [ThreadBoard.Entry], now: Instant, monotonic: UInt64) -> [[String: Any]] {
        entries.map { entry in
            let elapsed = monotonic > entry.since ? monotonic - entry.since : 0
            let since = Instant(milliseconds: now.milliseconds - Int64(elapsed / 1_000_000)).description
            let milliseconds = (Double(elapsed / 100_000) / 10)
            guard entry.isBusy else {
                return ["index": entry.index, "state": "idle", "idleSince": since, "idleMs": milliseconds]
            }
            return ["index": entry.index, "state": "busy", "phase": entry.phase.rawValue, "method": entry.method,
                    "path": entry.path, "startedAt": since, "elapsedMs": milliseconds]
        }
    }

    /// `jobThread`: the run in progress, or null between runs.
    static func jobThread(_ running: RunningJob?, now: Instant) -> Any {
        guard let running else { return NSNull() }
        return ["job": running.name, "startedAt": running.since.description,
                "elapsedMs": now.since(running.since).milliseconds] as [String: Any]
    }
}
