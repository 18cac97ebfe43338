import CFastCGI
import Glibc
import Synchronization

/// The connections, apart from the threads: one epoll instance that every request thread waits
/// on, watching the listening socket, each connection (`EPOLLONESHOT`: one thread at a time), a
/// timer for deadlines and a stop signal. A thread that gets a connection reads what has arrived
/// without blocking and feeds it to the connection's `RequestReader`; only a complete request
/// makes it run the handler, so a slow or stalled peer costs a descriptor and a few bytes, never a
/// thread. Kept connections (`FCGI_KEEP_CONN`) go back to the epoll instance after each response,
/// for whichever thread is free next.
final class ConnectionLoop: Sendable {
    /// Deadlines and limits.
    struct Settings: Sendable {
        /// From a request's first byte to its last (`requestReadTimeout`).
        var readTimeout: Int64 = 10_000_000_000
        /// For the peer to take a response (`responseWriteTimeout`).
        var writeTimeout: Int64 = 10_000_000_000
        /// Between requests on a kept connection (`idleTimeout`).
        var idleTimeout: Int64 = 75_000_000_000
        var maxConnections = 1024
        var limits = RequestReader.Limits()
    }

    /// A request thread's side: what to answer, and word of whether the answer went out.
    protocol Responder: AnyObject {
        /// Serves one complete request: appends its response records to `output`.
        func respond(_ request: FastCGIRequest, into output: inout [UInt8])
        /// The response from the last `respond` was sent (or is queued for a slow peer): `sent`,
        /// or the peer had gone.
        func delivered(sent: Bool)
    }

    private struct Table {
        var connections: [ObjectIdentifier: FastCGIConnection] = [:]
        /// The listening socket is watched: false while parked (at `maxConnections`, or pausing after
        /// running out of descriptors) and after a stop.
        var listening = true
        var parkedFull = false
        /// Monotonic nanoseconds when accepting resumes after a failure; 0: not paused.
        var pausedUntil: Int64 = 0
    }

    private static let listenTag: UInt64 = 1
    private static let wakeTag: UInt64 = 2
    private static let timerTag: UInt64 = 3

    let settings: Settings
    private let listenFD: Int32
    private let epollFD: Int32
    /// Readable (never drained) once every thread should leave `run`.
    private let wakeFD: Int32
    private let timerFD: Int32
    private let table = Mutex(Table())
    private let stopping = Atomic<Bool>(false)
    private let closingIdle = Atomic<Bool>(false)
    private let failed = Atomic<Bool>(false)
    private let trusted: TrustedPeers?
    private let trouble: AcceptTrouble
    private let log: Log

    init(listenFD: Int32, settings: Settings, trusted: TrustedPeers?, log: Log) throws {
        (self.listenFD, self.settings, self.trusted, self.log) = (listenFD, settings, trusted, log)
        trouble = AcceptTrouble(log: log)
        let sweep = Int32(max(20, min(500, min(settings.readTimeout, settings.writeTimeout) / 8_000_000)))
        epollFD = taskfcgi_epoll_create()
        wakeFD = taskfcgi_eventfd()
        timerFD = taskfcgi_timerfd(sweep)
        guard epollFD >= 0, wakeFD >= 0, timerFD >= 0,
              taskfcgi_epoll_arm(epollFD, listenFD, 1, Int32(TASKFCGI_WANT_READ | TASKFCGI_ONCE), Self.listenTag) == 0,
              taskfcgi_epoll_arm(epollFD, wakeFD, 1, Int32(TASKFCGI_WANT_READ), Self.wakeTag) == 0,
              taskfcgi_epoll_arm(epollFD, timerFD, 1, Int32(TASKFCGI_WANT_READ | TASKFCGI_ONCE), Self.timerTag) == 0 else {
            let reason = String(cString: strerror(errno))
            for fd in [epollFD, wakeFD, timerFD] where fd >= 0 { close(fd) }
            throw Listener.SetupError(description: "cannot set up the connection loop (epoll): \(reason)")
        }
    }

    deinit {
        close(epollFD)
        close(wakeFD)
        close(timerFD)
    }

    /// Accepting ended on an error no retry can fix: the worker should exit and be restarted.
    var hasFailed: Bool { failed.load(ordering: .acquiring) }

    /// Connections open now.
    var connectionCount: Int { table.withLock { $0.connections.count } }

    /// What `FCGI_GET_VALUES` answers: one request at a time on each connection.
    var capacity: RequestReader.Capacity {
        RequestReader.Capacity(maxConnections: settings.maxConnections, maxRequests: settings.maxConnections)
    }

    /// A request thread's life: serves events until the worker stops (and its connections have
    /// closed) or accepting fails for good.
    func run(_ responder: some Responder) {
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var output: [UInt8] = []
        output.reserveCapacity(64 * 1024)
        while true {
            var tag: UInt64 = 0
            let ready = taskfcgi_epoll_next(epollFD, -1, &tag)
            if ready < 0 {
                if errno == EINTR { continue }
                log.error("http", "epoll_wait failed: \(String(cString: strerror(errno))); this request thread stops")
                return
            }
            guard ready == 1 else { continue }
            switch tag {
            case Self.wakeTag: return
            case Self.timerTag: sweep()
            case Self.listenTag: accept(responder, &scratch, &output)
            default:
                let connection = Unmanaged<FastCGIConnection>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(tag))!).takeUnretainedValue()
                serve(connection, responder, &scratch, &output)
            }
        }
    }

    // MARK: Stopping

    /// Stops accepting: connections still queued stay in the socket (for the next worker, on an
    /// inherited socket). Kept connections now close right after their next response, which is
    /// the one moment a front end cannot be sending on them; `closeIdleConnections` ends the rest.
    /// Threads leave `run` when the last connection has closed.
    func stop() {
        stopping.store(true, ordering: .releasing)
        table.withLock { table in
            if table.listening { _ = taskfcgi_epoll_forget(epollFD, listenFD) }
            table.listening = false
        }
        if connectionCount == 0 { wakeAll() }
    }

    /// After a stop's grace period: closes the kept connections that are idle (each checked as
    /// `closeIfIdle` does), and from now on every one that becomes idle.
    func closeIdleConnections() {
        closingIdle.store(true, ordering: .releasing)
        sweep(rearm: false)
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func wakeAll() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: Accepting

    private func accept(_ responder: some Responder, _ scratch: inout [UInt8], _ output: inout [UInt8]) {
        while true {
            let room = table.withLock { table -> Bool in
                guard table.listening else { return false }
                if table.connections.count >= settings.maxConnections {
                    // Left in the socket's queue until a connection closes.
                    table.parkedFull = true
                    return false
                }
                return true
            }
            guard room else { return }
            let fd = taskfcgi_accept(listenFD)
            if fd < 0 {
                let error = errno
                switch error {
                case EAGAIN, EWOULDBLOCK:
                    armListen()
                    return
                case EINTR, ECONNABORTED, EPROTO, EPERM, ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ENETDOWN,
                     EHOSTDOWN, ENONET, ENOPROTOOPT, EOPNOTSUPP:
                    // The peer gave up or its network did: the next one may be fine.
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    return pauseAccepting(error)
                default:
                    if isStopping { return }
                    log.error("http", "cannot accept connections: \(String(cString: strerror(error))); stopping so the supervisor restarts the worker")
                    failed.store(true, ordering: .releasing)
                    wakeAll()
                    return
                }
            }
            trouble.succeeded()
            guard let connection = adopt(fd) else { continue }
            // Another thread takes the next connection while this one serves the new one: nginx
            // sends its request with the connect, so it is usually there to read already.
            armListen()
            serve(connection, responder, &scratch, &output)
            return
        }
    }

    /// Descriptors or memory ran short: the queue keeps the connections, and the sweeper re-arms
    /// the listening socket after a pause.
    private func pauseAccepting(_ error: Int32) {
        trouble.failed(error)
        table.withLock { $0.pausedUntil = monotonicNanoseconds64() + 100_000_000 }
    }

    private var isListening: Bool { table.withLock { $0.listening && $0.pausedUntil == 0 } }

    /// While accepting is in trouble, the sweeper tries it itself: a connection it gets is handed
    /// to the epoll instance for any thread, and an empty queue shows a descriptor was free.
    private func probe() {
        let fd = taskfcgi_accept(listenFD)
        guard fd >= 0 else {
            let error = errno
            switch error {
            case EAGAIN, EWOULDBLOCK: trouble.succeeded()
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: pauseAccepting(error)
            default: break
            }
            return
        }
        trouble.succeeded()
        guard let connection = adopt(fd) else { return }
        wait(connection, for: .reading)
    }

    /// A new connection from `fd` in the table, or nil if its peer is not trusted (then closed).
    private func adopt(_ fd: Int32) -> FastCGIConnection? {
        if let trusted, !trusted.allows(fd) {
            close(fd)
            return nil
        }
        let connection = FastCGIConnection(fd: fd, reader: RequestReader(limits: settings.limits, capacity: capacity))
        connection.enter(.reading, now: monotonicNanoseconds64(), timeout: settings.readTimeout)
        table.withLock { $0.connections[ObjectIdentifier(connection)] = connection }
        return connection
    }

    private func armListen() {
        table.withLock { table in
            guard table.listening, table.pausedUntil == 0 else { return }
            _ = taskfcgi_epoll_arm(epollFD, listenFD, 0, Int32(TASKFCGI_WANT_READ | TASKFCGI_ONCE), Self.listenTag)
        }
    }

    // MARK: Serving a connection

    private func serve(_ connection: FastCGIConnection, _ responder: some Responder, _ scratch: inout [UInt8], _ output: inout [UInt8]) {
        guard connection.claim() else { return finish(connection) }
        if !connection.outbox.isEmpty {
            switch flush(connection) {
            case .done: if connection.closeAfterWrite { return finish(connection) }
            case .blocked: return wait(connection, for: .writing)
            case .failed: return finish(connection)
            }
            // Bytes that came with the last request may hold the next one.
            if !connection.inbox.isEmpty, !process(connection, nil, responder, &output) { return }
        }
        let got = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
        if got < 0 {
            let error = errno
            if error == EAGAIN || error == EWOULDBLOCK || error == EINTR { return wait(connection, for: connection.waitingState) }
            return finish(connection, error: error)
        }
        if got == 0 { return finish(connection, endOfStream: true) }
        let more = scratch.withUnsafeBytes { bytes in
            process(connection, UnsafeRawBufferPointer(rebasing: bytes[..<got]), responder, &output)
        }
        guard more else { return }
        wait(connection, for: connection.waitingState)
    }

    /// Runs the reader over the inbox and then `fresh`, serving each complete request and sending
    /// its response before reading the next (a peer may send them back to back). False when the
    /// connection was closed or waits to write.
    private func process(_ connection: FastCGIConnection, _ fresh: UnsafeRawBufferPointer?, _ responder: some Responder,
                         _ output: inout [UInt8]) -> Bool {
        var fresh = fresh
        if let bytes = fresh, !connection.inbox.isEmpty {
            connection.inbox.append(contentsOf: bytes)
            fresh = nil
        }
        while true {
            output.removeAll(keepingCapacity: true)
            var failure: String?
            var served = false
            // Reads records until one request is complete (or the bytes run out): how many it used.
            func run(_ bytes: UnsafeRawBufferPointer) -> Int {
                var offset = 0
                while failure == nil, !served {
                    let (event, consumed) = connection.reader.next(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                    offset += consumed
                    switch event {
                    case nil: return offset
                    case .reply(let records): output += records
                    case .failure(let reason): failure = reason
                    case .request(let request):
                        connection.enter(.handling, now: 0, timeout: 0)
                        responder.respond(request, into: &output)
                        connection.served += 1
                        served = true
                        if !request.keepConnection {
                            connection.closeAfterWrite = true
                        } else if isStopping {
                            // The front end would put the connection back in its pool and could
                            // send on it before it sees it close. nginx pools a connection only when
                            // END_REQUEST is the last thing it read: one more (management) record
                            // right behind it makes nginx close the connection instead.
                            connection.closeAfterWrite = true
                            Record.appendUnknownType(0, to: &output)
                        }
                    }
                }
                return offset
            }
            if let bytes = fresh {
                // Whatever is left over waits in the inbox from now on.
                let used = run(bytes)
                if used < bytes.count { connection.inbox.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...])) }
                fresh = nil
            } else {
                let used = connection.inbox.withUnsafeBytes(run)
                connection.inbox.removeFirst(used)
            }
            if let failure {
                log.warning("http", "closed the FastCGI connection from \(connection.peer): \(failure)")
                send(connection, output)
                finish(connection)
                return false
            }
            if !output.isEmpty {
                let sent = send(connection, output)
                if served { responder.delivered(sent: sent || !connection.outbox.isEmpty) }
                guard sent else {
                    if connection.outbox.isEmpty { finish(connection) } else { wait(connection, for: .writing) }
                    return false
                }
            }
            if connection.closeAfterWrite {
                finish(connection)
                return false
            }
            // Another request may have come right behind this one.
            guard served, !connection.inbox.isEmpty else { return true }
        }
    }

    private enum Flush { case done, blocked, failed }

    /// Writes `bytes`; what the peer does not take now waits in the outbox. False unless all was sent.
    @discardableResult
    private func send(_ connection: FastCGIConnection, _ bytes: [UInt8]) -> Bool {
        let sent = bytes.withUnsafeBytes { Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent == bytes.count { return true }
        if sent < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR { return false }
        connection.outbox = Array(bytes[max(sent, 0)...])
        connection.outboxSent = 0
        return false
    }

    private func flush(_ connection: FastCGIConnection) -> Flush {
        while connection.outboxSent < connection.outbox.count {
            let sent = connection.outbox.withUnsafeBytes {
                Glibc.send(connection.fd, $0.baseAddress! + connection.outboxSent, $0.count - connection.outboxSent, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .blocked : .failed
            }
            connection.outboxSent += sent
        }
        connection.outbox = []
        connection.outboxSent = 0
        return .done
    }

    /// Hands the connection back to the epoll instance until it can be read (or written).
    private func wait(_ connection: FastCGIConnection, for state: FastCGIConnection.State) {
        let timeout = switch state {
        case .idle: settings.idleTimeout
        case .writing: settings.writeTimeout
        default: settings.readTimeout
        }
        // After a stop's grace period, kept connections close as soon as they are between requests.
        if state == .idle, closingIdle.load(ordering: .acquiring) { return finish(connection) }
        connection.enter(state, now: monotonicNanoseconds64(), timeout: timeout)
        let want = (state == .writing ? TASKFCGI_WANT_WRITE : TASKFCGI_WANT_READ) | TASKFCGI_ONCE
        let tag = UInt64(UInt(bitPattern: Unmanaged.passUnretained(connection).toOpaque()))
        // Nothing of the connection may be touched once it is armed: another thread may have it.
        let add: Int32 = connection.registered ? 0 : 1
        connection.registered = true
        if taskfcgi_epoll_arm(epollFD, connection.fd, add, Int32(want), tag) != 0 {
            log.error("http", "cannot watch a FastCGI connection: \(String(cString: strerror(errno))); closing it")
            finish(connection)
        }
    }

    /// Closes the connection, saying why when that is worth a line.
    private func finish(_ connection: FastCGIConnection, endOfStream: Bool = false, error: Int32 = 0) {
        switch connection.shut {
        case .readTimeout:
            log.warning("http", "closed the FastCGI connection from \(connection.peer): no complete request within \(Self.seconds(settings.readTimeout)) (requestReadTimeout)")
        case .writeTimeout:
            log.warning("http", "closed the FastCGI connection from \(connection.peer): it took no response bytes for \(Self.seconds(settings.writeTimeout)) (responseWriteTimeout)")
        case .idleTimeout, .stopping:
            break
        case .none:
            if endOfStream, connection.waitingState == .reading, connection.served > 0 || !connection.inbox.isEmpty || !connection.reader.isIdle {
                log.info("http", "the FastCGI connection from \(connection.peer) closed in the middle of a request")
            } else if error != 0 {
                log.debug("http", "the FastCGI connection from \(connection.peer) failed: \(String(cString: strerror(error)))")
            }
        }
        let (empty, rearm) = table.withLock { table -> (Bool, Bool) in
            table.connections[ObjectIdentifier(connection)] = nil
            let rearm = table.parkedFull && table.listening
            if rearm { table.parkedFull = false }
            return (table.connections.isEmpty, rearm)
        }
        // Closing also takes it out of the epoll instance.
        close(connection.fd)
        if rearm { armListen() }
        if empty, isStopping { wakeAll() }
    }

    // MARK: Deadlines

    /// Shuts down connections past their deadline (the thread that next gets their event closes
    /// them), and when stopping every idle one; resumes accepting after a pause.
    private func sweep(rearm: Bool = true) {
        if rearm {
            var expirations: UInt64 = 0
            _ = read(timerFD, &expirations, 8)
        }
        let now = monotonicNanoseconds64()
        let closeIdle = closingIdle.load(ordering: .acquiring)
        let resume = table.withLock { table -> Bool in
            for connection in table.connections.values {
                let deadline = connection.deadline.load(ordering: .acquiring)
                switch connection.state {
                case .idle where closeIdle: _ = connection.closeIfIdle(.stopping)
                case .idle where deadline != 0 && now > deadline: _ = connection.closeIfIdle(.idleTimeout)
                case .writing where deadline != 0 && now > deadline: _ = connection.shutDown(.writeTimeout)
                case .reading where deadline != 0 && now > deadline: _ = connection.shutDown(.readTimeout)
                default: break
                }
            }
            guard table.pausedUntil != 0, now >= table.pausedUntil else { return false }
            table.pausedUntil = 0
            return true
        }
        if resume { armListen() }
        if trouble.isOpen, isListening { probe() }
        if rearm { _ = taskfcgi_epoll_arm(epollFD, timerFD, 0, Int32(TASKFCGI_WANT_READ | TASKFCGI_ONCE), Self.timerTag) }
    }

    private func monotonicNanoseconds64() -> Int64 { Int64(monotonicNanoseconds()) }

    private static func seconds(_ nanoseconds: Int64) -> String {
        nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000) s" : "\(nanoseconds / 1_000_000) ms"
    }
}
