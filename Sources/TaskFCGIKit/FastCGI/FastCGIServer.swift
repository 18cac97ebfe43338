import Foundation
import Synchronization

/// The FastCGI responder: `threads` request threads sharing one `ConnectionLoop`, each with its
/// own handler (its own SQLite connection). The record layer is ours (`RequestReader`,
/// `ResponseHead`); libfcgi contributes only `fastcgi.h`'s definitions.
public final class FastCGIServer: Sendable {
    /// Turns one request into one response on the calling thread.
    public typealias Handler = (Request) -> Response

    /// What the edge enforces.
    public struct Limits: Sendable {
        public var maxBodyBytes: Int
        /// Largest single parameter (a header, the URI).
        public var maxParamBytes = 16 * 1024
        /// All parameters together.
        public var maxParamsTotal = 64 * 1024
        /// How many parameters one request may carry.
        public var maxParams = 512
        /// From a request's first byte to its last.
        public var requestReadTimeout = Interval.seconds(10)
        /// For the peer to take the response.
        public var responseWriteTimeout = Interval.seconds(10)
        /// A kept connection with no request.
        public var idleTimeout = Interval.seconds(75)
        /// A request taking longer than this, to its response sent, gets a `[slow]` line with its phases.
        public var slowRequest = Interval.seconds(1)
        /// Connections open at once; more wait in the socket's queue.
        public var maxConnections = 1024
        public init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }
    }

    private let listener: Listener
    private let threads: Int
    private let limits: Limits
    /// `limits.slowRequest` in nanoseconds.
    private let slowNanoseconds: UInt64
    private let log: Log
    public let stats: ServerStats
    private let makeHandler: @Sendable (Int) throws -> Handler
    private let loop: ConnectionLoop
    /// Request threads not yet ended: set to `threads` before the first starts, so an early
    /// failure of one cannot look like the end of all.
    private let live: Atomic<Int>
    private let finished = DispatchSemaphore(value: 0)
    /// How long a stop lets the front end go on using kept connections before closing idle ones.
    static let keptConnectionGrace = 0.25

    /// `trustedProxies`: the only peers a TCP listener accepts (nil: any).
    public init(listener: Listener, threads: Int, limits: Limits, log: Log, stats: ServerStats,
                trustedProxies: [String]? = nil, makeHandler: @escaping @Sendable (Int) throws -> Handler) throws {
        (self.listener, self.threads, self.limits, self.log) = (listener, threads, limits, log)
        (self.stats, self.makeHandler) = (stats, makeHandler)
        slowNanoseconds = UInt64(max(1, limits.slowRequest.milliseconds)) * 1_000_000
        var settings = ConnectionLoop.Settings()
        settings.readTimeout = limits.requestReadTimeout.milliseconds * 1_000_000
        settings.writeTimeout = limits.responseWriteTimeout.milliseconds * 1_000_000
        settings.idleTimeout = limits.idleTimeout.milliseconds * 1_000_000
        settings.maxConnections = limits.maxConnections
        settings.limits = RequestReader.Limits(maxParamsBytes: limits.maxParamsTotal, maxParams: limits.maxParams,
                                               maxBodyBytes: limits.maxBodyBytes)
        loop = try ConnectionLoop(listenFD: listener.fd, settings: settings,
                                  trusted: trustedProxies.map { TrustedPeers($0, log: log) }, log: log)
        live = Atomic(threads)
    }

    /// Starts the request threads.
    public func start() {
        for index in 0..<threads {
            let thread = Thread { [self] in
                CurrentThread.setName("taskfcgi-req\(index + 1)")
                loop.run(RequestThread(server: self, index: index))
                if live.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { finished.signal() }
            }
            thread.start()
        }
    }

    /// True when accepting failed for good without a stop: the process should exit so its
    /// supervisor restarts it.
    public var hasFailed: Bool { loop.hasFailed }

    /// Request threads still running.
    public var liveThreads: Int { live.load(ordering: .acquiring) }

    /// Stops taking connections and waits until `deadline` for the requests already accepted;
    /// true if they all finished. An inherited socket (systemd, spawn-fcgi) is left exactly as
    /// it is: connections not yet accepted wait in it for the next worker. A socket we created
    /// is first closed to newcomers (the unix socket file removed, so nginx fails over at once),
    /// then what is already queued is served for up to `drain` seconds, then it is shut. A kept
    /// connection closes right after its next response; those left idle after a short grace close then.
    public func stop(drain: Double, deadline: DispatchTime) -> Bool {
        if !listener.isInherited {
            listener.stopNewConnections()
            let drainEnd = min(deadline, DispatchTime.now() + drain)
            while listener.hasPendingConnections(), DispatchTime.now() < drainEnd { usleep(2000) }
        }
        loop.stop()
        if !listener.isInherited { listener.shutDown() }
        // A grace period for kept connections: each one the front end uses meanwhile is closed
        // right after its response, which cannot cut off a request; then the idle rest close.
        let graceEnd = min(deadline, DispatchTime.now() + min(drain, Self.keptConnectionGrace))
        while loop.connectionCount > 0, DispatchTime.now() < graceEnd { usleep(5000) }
        loop.closeIdleConnections()
        let done = live.load(ordering: .acquiring) == 0 || finished.wait(timeout: deadline) == .success
        if done && !listener.isInherited { listener.close() }
        return done
    }

    /// One request thread's handler, on its own database connection (opened as the thread starts,
    /// so a database outage later finds every thread connected and each request answers with the
    /// outage's reason; opened again at a request if that failed), its `/status` slot and phase
    /// meter, and the request whose response it is sending.
    private final class RequestThread: ConnectionLoop.Responder {
        let server: FastCGIServer
        let index: Int
        var handler: Handler?
        let slot: ThreadBoard.Slot
        let phases: RequestPhases
        /// The last request, named if its response cannot be delivered or was slow.
        var last: Served?

        init(server: FastCGIServer, index: Int) {
            (self.server, self.index) = (server, index)
            let slots = server.stats.board.slots
            // A board sized for fewer threads (only a test could build one) leaves this one unlisted.
            slot = index < slots.count ? slots[index] : ThreadBoard.Slot(index: index + 1, now: monotonicNanoseconds())
            phases = RequestPhases(slot: slot)
            // Constructed on the thread it serves: the meter is this thread's.
            phases.install()
            handler = server.openHandler(index)
        }

        deinit { RequestPhases.uninstall() }

        func respond(_ request: FastCGIRequest, into output: inout [UInt8]) {
            if handler == nil { handler = server.openHandler(index) }
            last = server.respond(request, handler, slot: slot, phases: phases, into: &output)
        }

        func delivered(sent: Bool) {
            let now = monotonicNanoseconds()
            slot.end(at: now)
            guard let last else { return }
            if !sent {
                // The access line was written before the send, so it is in the log by the time the
                // client has its answer; this says when the answer never left.
                server.log.info("http", "\(last.method) \(last.target): the front end closed the connection before the response was sent")
            }
            if now &- last.started >= server.slowNanoseconds {
                server.log.slow(SlowRequest(method: last.method, path: last.path, started: last.started, handled: last.handled,
                                            sent: now, writer: phases.writerWait, render: phases.render))
            }
        }
    }

    /// A request served on a thread: what names it, and its clock readings (monotonic nanoseconds)
    /// at its start and once its response records were built.
    private struct Served {
        var method: String
        var target: String
        var path: String
        var started: UInt64
        var handled: UInt64
    }

    private func openHandler(_ index: Int) -> Handler? {
        do { return try makeHandler(index) } catch {
            log.error("http", "request thread \(index + 1) cannot open the database: \(error)")
            return nil
        }
    }

    /// Handles one request, appends its response records to `output` and writes its access line;
    /// returns what names the request and when it started and was handled. The slot shows the
    /// request from its params read to its response sent (`delivered`).
    private func respond(_ raw: FastCGIRequest, _ handler: Handler?, slot: ThreadBoard.Slot, phases: RequestPhases,
                         into output: inout [UInt8]) -> Served {
        let began = monotonicNanoseconds()
        phases.reset()
        stats.began()
        var response: Response
        // Room for the few headers a request carries, so inserting them never regrows the table.
        var request = Request(method: "?", path: "?", headers: Dictionary(minimumCapacity: 6))
        do {
            try RequestParams.read(raw, limits: limits, into: &request, log: log)
            request.body = try Self.body(raw, limits: limits)
            slot.begin(method: request.method, path: request.path, at: began)
            guard let handler else { throw HTTPError(503, "The database cannot be opened right now. Please try again in a moment.") }
            response = handler(request)
        } catch {
            response = ErrorPages.response(for: error, request: request, requestID: App.newRequestID, log: log)
        }
        ResponseHead.append(response, id: raw.id, omitBody: request.method == "HEAD", to: &output)
        let handled = monotonicNanoseconds()
        slot.enter(.write)
        let target = request.target
        log.access(method: request.method, target: target, status: response.status, bytes: response.body.count,
                   microseconds: Int64((handled &- began) / 1000), clientGone: false)
        stats.ended(status: response.status)
        return Served(method: request.method, target: target, path: request.path, started: began, handled: handled)
    }

    /// The body, checked against `CONTENT_LENGTH` and the limit the reader enforced.
    private static func body(_ raw: FastCGIRequest, limits: Limits) throws -> [UInt8] {
        if case .bodyTooLarge(let declared) = raw.refusal {
            let size = declared.map { "\($0) bytes" } ?? "more than \(limits.maxBodyBytes) bytes"
            throw HTTPError(413, "The request body is \(size); this server accepts at most \(limits.maxBodyBytes).")
        }
        guard let length = raw.contentLength else {
            if RequestParams.hasContentLength(raw) { throw HTTPError(400, "The Content-Length header is not a number.") }
            // CGI: without CONTENT_LENGTH there is no body, whatever came on stdin.
            return []
        }
        if raw.body.count < length { throw HTTPError(400, "The request body is shorter than its Content-Length.") }
        if raw.body.count > length { throw HTTPError(400, "The request body is longer than its Content-Length.") }
        return raw.body
    }
}
