import Glibc
import Synchronization

/// Logs accept failures once per burst rather than once per failed call (with descriptors
/// exhausted every attempt fails), and says when accepting works again. While descriptors are
/// scarce, successes and failures alternate, and that is still one burst: it ends when accepting
/// has worked (a connection, or an empty queue, which the kernel reports only after finding a free
/// descriptor) and nothing has failed for a second.
final class AcceptTrouble: Sendable {
    private struct Burst {
        var failures = 0
        var lastFailure: UInt64 = 0
        var lastSuccess: UInt64 = 0
    }
    private let burst = Mutex(Burst())
    private let log: Log
    private static let quiet: UInt64 = 1_000_000_000

    init(log: Log) { self.log = log }

    /// Accepting failed with `error` (a descriptor or memory shortage).
    func failed(_ error: Int32) {
        let now = monotonicNanoseconds()
        let first = burst.withLock { burst -> Bool in
            burst.failures += 1
            burst.lastFailure = now
            return burst.failures == 1
        }
        if first {
            log.error("http", "cannot accept connections: \(String(cString: strerror(error))); they wait in the socket's queue, retrying every 100 ms")
        }
    }

    /// Accepting worked.
    func succeeded() {
        guard isOpen else { return }
        let now = monotonicNanoseconds()
        burst.withLock { $0.lastSuccess = now }
        tick()
    }

    /// A burst is going on: the sweeper probes the socket until it ends.
    var isOpen: Bool { burst.withLock { $0.failures > 0 } }

    /// Ends the burst, with a log line, once accepting has worked and a second has passed without
    /// a failure.
    func tick() {
        let now = monotonicNanoseconds()
        let ended = burst.withLock { burst -> Int in
            guard burst.failures > 0, burst.lastSuccess > burst.lastFailure, now - burst.lastFailure >= Self.quiet else { return 0 }
            defer { burst = Burst() }
            return burst.failures
        }
        if ended > 0 { log.warning("http", "accepting connections again after \(ended) failed attempts") }
    }
}
