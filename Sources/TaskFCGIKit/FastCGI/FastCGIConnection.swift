import Glibc
import Synchronization

/// One accepted connection. Its reader, inbox and outbox belong to whichever request thread holds
/// its event: the socket is watched with `EPOLLONESHOT`, so the kernel hands it to one thread at a
/// time, and that hand-over (a system call on each side) orders the memory between them. Other
/// threads (the sweeper, a stop) only read the atomics and may shut the socket down, which the
/// holder then sees as an end of stream.
final class FastCGIConnection: @unchecked Sendable {
    /// What the connection is waiting for, for the sweeper.
    enum State: UInt8 {
        /// Between requests, on a kept connection: `idleTimeout` applies.
        case idle
        /// Part of a request has arrived (or none yet, on a new connection): `requestReadTimeout`.
        case reading
        /// A request thread is handling a request: no deadline (`stopTimeout` bounds a stop).
        case handling
        /// The peer has not taken all of the response yet: `responseWriteTimeout`.
        case writing
        /// Was idle and is being closed (idle timeout, or a stop): a request that arrives now is
        /// not served.
        case closing
    }

    /// Why the sweeper shut the socket down.
    enum Shut: UInt8 {
        case none, readTimeout, writeTimeout, idleTimeout, stopping
    }

    let fd: Int32
    var reader: RequestReader
    /// The start of a record that has not arrived whole.
    var inbox: [UInt8] = []
    /// Response bytes the peer has not taken yet, from `outboxSent` on.
    var outbox: [UInt8] = []
    var outboxSent = 0
    /// Added to the epoll instance (after the first read found nothing, or the first write blocked).
    var registered = false
    /// Requests answered on this connection.
    var served = 0
    /// Close once the outbox is empty: the front end did not ask to keep the connection, or the
    /// worker is stopping.
    var closeAfterWrite = false
    /// Monotonic nanoseconds after which the sweeper shuts the socket down; 0: none.
    let deadline = Atomic<Int64>(0)
    private let rawState = Atomic<UInt8>(State.handling.rawValue)
    private let rawShut = Atomic<UInt8>(Shut.none.rawValue)

    init(fd: Int32, reader: RequestReader) {
        (self.fd, self.reader) = (fd, reader)
    }

    /// What a connection waits for when nothing is left to read: the next request on a kept
    /// connection is idle time, anything else (a new connection's first request included) is a
    /// request being read.
    var waitingState: State {
        served > 0 && reader.isIdle && inbox.isEmpty ? .idle : .reading
    }

    var state: State { State(rawValue: rawState.load(ordering: .acquiring)) ?? .reading }

    /// Moves to `state`, with the deadline that state has (`timeout` nanoseconds from `now`; a
    /// request keeps the deadline it got when its first byte arrived).
    func enter(_ state: State, now: Int64, timeout: Int64) {
        let previous = rawState.exchange(state.rawValue, ordering: .acquiringAndReleasing)
        switch state {
        case .handling: deadline.store(0, ordering: .releasing)
        case .reading where previous == State.reading.rawValue: break
        default: deadline.store(now + timeout, ordering: .releasing)
        }
    }

    /// Called by the thread that got the connection's event, before it reads: an idle connection
    /// becomes one being served, unless a close got to it first (false: close it).
    func claim() -> Bool {
        // Held as `handling` until the thread knows whether a request has begun: waiting for the
        // rest of one then starts its read deadline afresh.
        let (exchanged, found) = rawState.compareExchange(expected: State.idle.rawValue, desired: State.handling.rawValue,
                                                          ordering: .acquiringAndReleasing)
        return exchanged || found != State.closing.rawValue
    }

    /// Closes an idle kept connection the only way that cannot cut off a request: claimed from
    /// `idle` (so no thread serves it meanwhile), and only while nothing of a next request has
    /// arrived. A front end that sends in the moment between the check and the shutdown sees a
    /// closed kept connection, which nginx retries for idempotent requests. True if shut down.
    func closeIfIdle(_ reason: Shut) -> Bool {
        var byte: UInt8 = 0
        let peeked = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        guard peeked < 0, errno == EAGAIN || errno == EWOULDBLOCK else { return false }
        guard rawState.compareExchange(expected: State.idle.rawValue, desired: State.closing.rawValue,
                                       ordering: .acquiringAndReleasing).exchanged else { return false }
        return shutDown(reason)
    }

    var shut: Shut { Shut(rawValue: rawShut.load(ordering: .acquiring)) ?? .none }

    /// Shuts the socket down for `reason` unless already done; true the first time. Called with
    /// the connection table locked, so the descriptor cannot have been closed and reused.
    func shutDown(_ reason: Shut) -> Bool {
        guard rawShut.compareExchange(expected: Shut.none.rawValue, desired: reason.rawValue, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
        return true
    }

    /// The peer as the log names it: `address:port`, or the process on a unix socket.
    var peer: String { PeerAddress.of(fd)?.description ?? "a peer that has gone" }
}
