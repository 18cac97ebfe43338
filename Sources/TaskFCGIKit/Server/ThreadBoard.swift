import Synchronization

/// Who is busy with what, like PHP-FPM's `status?full`: one slot per request thread, written by
/// that thread as a request starts, changes phase and ends, and read by `/status`. Each slot has
/// its own `Mutex`, so a thread only ever contends with a `/status` reading it.
public final class ThreadBoard: Sendable {
    /// What a request thread is doing.
    public enum Phase: String, Sendable {
        /// Waiting for a request.
        case idle
        /// Running the handler.
        case handler
        /// In the SQLite writer: queued for group commit, waiting for another process's lock, or writing.
        case writer
        /// Rendering the page.
        case render
        /// Writing the access line and sending the response to the front end.
        case write
    }

    /// One thread as `/status` shows it. Times are monotonic nanoseconds (`monotonicNanoseconds`).
    public struct Entry: Equatable, Sendable {
        /// The thread's number, from 1 as in its name (`taskfcgi-req1`).
        public var index: Int
        public var phase: Phase
        /// The request's method and path (never its query); empty while idle.
        public var method: String
        public var path: String
        /// When the request started, or when the thread became idle.
        public var since: UInt64

        /// Busy with a request.
        public var isBusy: Bool { phase != .idle }
    }

    /// One request thread's record; written only by its thread.
    public final class Slot: Sendable {
        private let entry: Mutex<Entry>
        /// Never read: makes each slot span more than two cache lines, so threads writing their own
        /// slots (neighbours on the heap) do not keep taking a shared line from each other.
        private let padding = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))

        init(index: Int, now: UInt64) {
            entry = Mutex(Entry(index: index, phase: .idle, method: "", path: "", since: now))
        }

        /// A request began at `started`: the strings are shared with the request, not copied.
        func begin(method: String, path: String, at started: UInt64) {
            entry.withLock { ($0.phase, $0.method, $0.path, $0.since) = (.handler, method, path, started) }
        }

        /// The request moved to `phase`; ignored while idle (a write outside a request).
        func enter(_ phase: Phase) {
            entry.withLock { if $0.phase != .idle { $0.phase = phase } }
        }

        /// The request is over at `now`.
        func end(at now: UInt64) {
            entry.withLock {
                guard $0.phase != .idle else { return }
                ($0.phase, $0.method, $0.path, $0.since) = (.idle, "", "", now)
            }
        }

        /// A consistent copy.
        public var current: Entry { entry.withLock { $0 } }
    }

    /// One slot per request thread, by index.
    public let slots: [Slot]

    /// A board for `threads` request threads, all idle since now.
    public init(threads: Int) {
        let now = monotonicNanoseconds()
        slots = (0..<threads).map { Slot(index: $0 + 1, now: now) }
    }

    /// Every thread's entry, in index order.
    public var entries: [Entry] { slots.map(\.current) }
}
