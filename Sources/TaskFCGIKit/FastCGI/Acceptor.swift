import CFastCGI
import Glibc
import Synchronization

/// The request threads' accept loop, owned here rather than by libfcgi: libfcgi's shutdown flag
/// is only checked before `accept`, so a thread already blocked there kept taking connections
/// after SIGTERM. A thread first accepts without blocking (the socket is O_NONBLOCK: several
/// threads, or another worker on the same inherited socket, may race for one connection, and the
/// loser must not block); only when nothing is waiting does it sleep, in `epoll_wait` on its own
/// epoll instance, which watches the listening socket (EPOLLEXCLUSIVE) and a wake-up pipe. Under
/// load a thread finds the next connection queued and makes one system call for it; idle, one
/// connection wakes one sleeping thread, as a blocking `accept` would, where `poll` on the shared
/// socket woke them all. After `stop()` no thread accepts again.
final class Acceptor: Sendable {
    /// What a request thread gets from `next()`.
    enum Outcome {
        /// A connected socket, ours to serve and close.
        case connection(Int32)
        /// The worker is stopping.
        case stop
        /// The listening socket is unusable (an errno no retry can fix).
        case failed(Int32)
    }

    private let listenFD: Int32
    /// Readable once `stop()` wrote to it; never drained, so it wakes every thread.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopping = Atomic<Bool>(false)
    private let trusted: TrustedPeers?
    private let trouble: AcceptTrouble

    init(listenFD: Int32, trusted: TrustedPeers?, log: Log) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw Listener.SetupError(description: "pipe failed: \(String(cString: strerror(errno)))")
        }
        // The worker starts no programs, so close-on-exec set after the fact cannot leak.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        (self.listenFD, wakeRead, wakeWrite) = (listenFD, ends[0], ends[1])
        self.trusted = trusted
        trouble = AcceptTrouble(log: log)
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// No thread accepts again: those waiting in `poll` return `.stop` at once, the others on
    /// their next call.
    func stop() {
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// A request thread's own way to sleep until a connection or a stop: an epoll instance, or
    /// nil where one cannot be had (`next` then polls, waking every idle thread per connection).
    func makeWait() -> Wait? {
        let epollFD = taskfcgi_epoll_create()
        guard epollFD >= 0 else { return nil }
        guard taskfcgi_epoll_watch(epollFD, listenFD, 1) == 0, taskfcgi_epoll_watch(epollFD, wakeRead, 0) == 0 else {
            close(epollFD)
            return nil
        }
        return Wait(epollFD: epollFD)
    }

    /// One thread's epoll instance (see `makeWait`).
    final class Wait {
        let epollFD: Int32
        init(epollFD: Int32) { self.epollFD = epollFD }
        deinit { close(epollFD) }
    }

    /// Waits for the next connection, sleeping in `wait`. Transient failures (no descriptors or
    /// memory left) are retried with a growing pause, during which `stop()` still wakes the thread.
    func next(_ wait: Wait?) -> Outcome {
        var pause: Int32 = 0
        while true {
            if isStopping { return .stop }
            if pause > 0, waitForWake(milliseconds: pause) { return .stop }
            let fd = acceptOne()
            if fd >= 0 {
                pause = 0
                trouble.succeeded()
                guard let trusted, !trusted.allows(fd) else { return .connection(fd) }
                close(fd)
                continue
            }
            let error = errno
            if isStopping { return .stop }
            switch error {
            case EAGAIN, EWOULDBLOCK:
                // Nothing queued (or another thread or worker took it): sleep until something is.
                guard waitForConnection(wait) else { return .stop }
            case EINTR, ECONNABORTED, EPROTO, EPERM:
                // The peer gave up, or a signal: try again.
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                trouble.failed(error)
                pause = min(max(pause * 2, 5), 250)
            default:
                return .failed(error)
            }
        }
    }

    /// True when the wake-up pipe became readable within `milliseconds`.
    private func waitForWake(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// Blocks until the listening socket is readable (true) or the wake-up pipe is (false).
    private func waitForConnection(_ wait: Wait?) -> Bool {
        guard let wait else { return pollForConnection() }
        while true {
            let ready = taskfcgi_epoll_wait(wait.epollFD)
            if ready < 0, errno == EINTR { continue }
            // The pipe only ever becomes readable for a stop; errors on the listening socket
            // (and on epoll itself) surface from accept().
            return !isStopping
        }
    }

    /// `waitForConnection` without epoll.
    private func pollForConnection() -> Bool {
        var entries = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&entries, 2, -1)
            if ready < 0, errno == EINTR { continue }
            if entries[1].revents != 0 { return false }
            // Errors and hang-ups on the listening socket surface from accept().
            return true
        }
    }

    private func acceptOne() -> Int32 {
        // The connection is blocking (Linux's accept does not pass O_NONBLOCK on): libfcgi reads it
        // so. Close-on-exec comes with the accept itself, not from another system call.
        let fd = taskfcgi_accept_cloexec(listenFD)
        guard fd >= 0 else { return fd }
        // libfcgi's own accept dropped unix peers silent for 2 s; reading them ourselves, a peer
        // that connects and never sends would pin a thread for good. nginx sends at once.
        var limit = timeval(tv_sec: Self.readTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// How long a connection may stay silent while its request is read.
    static let readTimeoutSeconds = 30
}

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
