import Glibc
import Synchronization

/// Logs accept failures once per burst rather than once per failed call (with descriptors
/// exhausted every thread fails hundreds of times a second), and says when accepting works again.
/// A burst ends with a successful accept a second after its last failure: while descriptors are
/// scarce, successes and failures alternate, and that is still one burst.
final class AcceptTrouble: Sendable {
    private struct Burst {
        var failures = 0
        var lastFailure: UInt64 = 0
    }
    private let burst = Mutex(Burst())
    private let log: Log
    private static let quiet: UInt64 = 1_000_000_000

    init(log: Log) { self.log = log }

    func failed(_ error: Int32) {
        let now = monotonicNanoseconds()
        let first = burst.withLock { burst -> Bool in
            burst.failures += 1
            burst.lastFailure = now
            return burst.failures == 1
        }
        if first {
            log.error("http", "cannot accept connections: \(String(cString: strerror(error))); they wait in the socket's queue, retrying with a pause of up to 250 ms")
        }
    }

    func succeeded() {
        let now = monotonicNanoseconds()
        let ended = burst.withLock { burst -> Int in
            guard burst.failures > 0, now - burst.lastFailure >= Self.quiet else { return 0 }
            defer { burst.failures = 0 }
            return burst.failures
        }
        if ended > 0 { log.warning("http", "accepting connections again after \(ended) failed attempts") }
    }
}
