import CFastCGI
import Foundation
import Synchronization

/// The FastCGI responder on libfcgi: `threads` request threads, each with its own heap-allocated
/// `FCGX_Request` and its own handler (its own SQLite connection), accepting on one socket with no
/// accept mutex. Only this file touches libfcgi.
public final class FastCGIServer: Sendable {
    /// Turns one request into one response on the calling thread.
    public typealias Handler = (Request) -> Response

    /// Limits libfcgi does not have.
    public struct Limits: Sendable {
        public var maxBodyBytes: Int
        /// Largest single parameter (a header, the URI).
        public var maxParamBytes = 16 * 1024
        /// All parameters together.
        public var maxParamsTotal = 64 * 1024
        public init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }
    }

    private let listener: Listener
    private let threads: Int
    private let limits: Limits
    private let log: Log
    public let stats: ServerStats
    private let makeHandler: @Sendable (Int) throws -> Handler
    private let acceptor: Acceptor
    /// Request threads not yet ended: set to `threads` before the first starts, so an early
    /// failure of one cannot look like the end of all.
    private let live: Atomic<Int>
    /// Set when request threads ended on their own (accept failed): the worker no longer serves.
    private let broken = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Must run before any thread starts: libfcgi sets up its globals here. It also installs
    /// SIGTERM and SIGUSR1 handlers that only set its own shutdown flag (which our accept loop
    /// does not use); they are put back to the default so the main thread's `sigwait` alone
    /// decides, and a signal arriving before the mask is set stops the process as it should.
    public static func initializeLibrary() {
        FCGX_Init()
        signal(SIGTERM, SIG_DFL)
        signal(SIGUSR1, SIG_DFL)
    }

    /// `trustedProxies`: the only peers a TCP listener accepts (nil: any).
    public init(listener: Listener, threads: Int, limits: Limits, log: Log, stats: ServerStats,
                trustedProxies: [String]? = nil, makeHandler: @escaping @Sendable (Int) throws -> Handler) throws {
        (self.listener, self.threads, self.limits, self.log) = (listener, threads, limits, log)
        (self.stats, self.makeHandler) = (stats, makeHandler)
        acceptor = try Acceptor(listenFD: listener.fd, trusted: trustedProxies.map { TrustedPeers($0, log: log) }, log: log)
        live = Atomic(threads)
    }

    /// Starts the request threads.
    public func start() {
        for index in 0..<threads {
            let thread = Thread { [self] in
                CurrentThread.setName("taskfcgi-req\(index + 1)")
                serve(index)
                if live.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    if !acceptor.isStopping { broken.store(true, ordering: .releasing) }
                    finished.signal()
                }
            }
            thread.start()
        }
    }

    /// True when every request thread has ended without a stop: the process should exit so its
    /// supervisor restarts it.
    public var hasFailed: Bool { broken.load(ordering: .acquiring) }

    /// Request threads still running.
    public var liveThreads: Int { live.load(ordering: .acquiring) }

    /// Stops taking connections and waits until `deadline` for the requests already accepted;
    /// true if they all finished. An inherited socket (systemd, spawn-fcgi) is left exactly as
    /// it is: connections not yet accepted wait in it for the next worker. A socket we created
    /// is first closed to newcomers (the unix socket file removed, so nginx fails over at once),
    /// then what is already queued is served for up to `drain` seconds, then it is shut.
    public func stop(drain: Double, deadline: DispatchTime) -> Bool {
        if !listener.isInherited {
            listener.stopNewConnections()
            let drainEnd = min(deadline, DispatchTime.now() + drain)
            while listener.hasPendingConnections(), DispatchTime.now() < drainEnd { usleep(2000) }
        }
        acceptor.stop()
        if !listener.isInherited { listener.shutDown() }
        let done = live.load(ordering: .acquiring) == 0 || finished.wait(timeout: deadline) == .success
        if done && !listener.isInherited { listener.close() }
        return done
    }

    private func serve(_ index: Int) {
        // libfcgi's streams point back into the request: it must never move, so it lives on the heap.
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        // No listening socket for libfcgi: it only ever reads connections we accepted (were it
        // to try accepting after a malformed request, accept(-1) fails and we come back here).
        FCGX_InitRequest(request, -1, 0)
        var handler: Handler?
        let wait = acceptor.makeWait()
        if wait == nil {
            log.warning("http", "request thread \(index + 1) has no epoll instance (\(String(cString: strerror(errno)))); it polls instead")
        }
        loop: while true {
            switch acceptor.next(wait) {
            case .stop:
                break loop
            case .failed(let error):
                log.error("http", "request thread \(index + 1) cannot accept connections: \(String(cString: strerror(error))); it stops")
                break loop
            case .connection(let fd):
                // FCGX_Accept_r reads an already open connection (ipcFd ≥ 0) instead of accepting;
                // keepConnection stops its opening FCGX_Finish_r from closing it. Both are reset
                // from the begin-request record nginx sends.
                request.pointee.ipcFd = fd
                request.pointee.keepConnection = 1
                guard FCGX_Accept_r(request) >= 0 else { continue } // not FastCGI, or gone: libfcgi closed it
                stats.began()
                if handler == nil { handler = openHandler(index) }
                let status = respond(request, handler)
                FCGX_Finish_r(request)
                stats.ended(status: status)
            }
        }
        FCGX_Free(request, 1)
    }

    private func openHandler(_ index: Int) -> Handler? {
        do { return try makeHandler(index) } catch {
            log.error("http", "request thread \(index) cannot open the database: \(error)")
            return nil
        }
    }

    /// Reads, handles and writes one request; returns the status sent.
    private func respond(_ raw: UnsafeMutablePointer<FCGX_Request>, _ handler: Handler?) -> Int {
        let began = monotonicMicroseconds()
        var response: Response
        // Room for the few headers a request carries, so inserting them never regrows the table.
        var request = Request(method: "?", path: "?", headers: Dictionary(minimumCapacity: 6))
        do {
            let contentLength = try readParams(raw, into: &request)
            request.body = try readBody(raw, contentLength: contentLength)
            guard let handler else { throw HTTPError(503, "The database cannot be opened right now. Please try again in a moment.") }
            response = handler(request)
        } catch {
            response = ErrorPages.response(for: error, request: request, requestID: App.newRequestID, log: log)
        }
        let sent = ResponseHead.write(response, omitBody: request.method == "HEAD", to: raw.pointee.out)
        log.access(method: request.method, target: request.target, status: response.status, bytes: response.body.count,
                   microseconds: monotonicMicroseconds() - began, clientGone: !sent)
        return response.status
    }

    /// Copies the params out of libfcgi's buffers into `request`, enforcing our size limits;
    /// returns `CONTENT_LENGTH`. Names are compared as bytes (dispatched on their length, so most
    /// names are skipped after one comparison); only the values used become Strings.
    private func readParams(_ raw: UnsafeMutablePointer<FCGX_Request>, into request: inout Request) throws -> String {
        var total = 0
        var contentLength = ""
        var variables = RequestVariables()
        // Only read when nginx's DOCUMENT_URI is missing (Apache httpd, Caddy, lighttpd, cgi-fcgi).
        var requestURI: UnsafeBufferPointer<UInt8>?
        var cursor = raw.pointee.envp
        while let entry = cursor?.pointee {
            cursor = cursor! + 1
            let pair = UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))
            total += pair.count
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = UnsafeBufferPointer(rebasing: pair[..<equals])
            let value = UnsafeBufferPointer(rebasing: pair[(equals + 1)...])
            if value.count > limits.maxParamBytes || total > limits.maxParamsTotal {
                throw Self.named(name, "DOCUMENT_URI") || Self.named(name, "REQUEST_URI") || Self.named(name, "QUERY_STRING")
                    ? HTTPError(414, "The address is too long.")
                    : HTTPError(431, "The request headers are too large.")
            }
            if name.count > 5, memcmp(name.baseAddress!, "HTTP_", 5) == 0 {
                Self.addHeader(name, value, to: &request)
                continue
            }
            switch Self.param(name) {
            case .method: request.method = String(decoding: value, as: UTF8.self)
            case .documentURI: variables.documentURI = try Self.address(value)
            case .requestURI: requestURI = value
            case .scriptName: variables.scriptName = try Self.address(value)
            case .pathInfo: variables.pathInfo = try Self.address(value)
            case .queryString: variables.queryString = try Self.address(value)
            case .https:
                // Apache and lighttpd say "on", Caddy "on", some servers "1"; absent or "off": plain HTTP.
                let on = value.count > 0 && !(value.count == 3 && memcmp(value.baseAddress!, "off", 3) == 0)
                request.scheme = on ? "https" : request.scheme
            case .scheme: request.scheme = request.scheme ?? String(decoding: value, as: UTF8.self).lowercased()
            case .contentLength: contentLength = String(decoding: value, as: UTF8.self)
            case .contentType: request.headers["content-type"] = String(decoding: value, as: UTF8.self)
            case .serverPort: request.serverPort = String(decoding: value, as: UTF8.self)
            case .remoteAddr: request.remoteAddress = String(decoding: value, as: UTF8.self)
            case nil: break
            }
        }
        if variables.documentURI == nil, let requestURI { variables.requestURI = try Self.address(requestURI) }
        do { (request.path, request.query) = try variables.target() } catch {
            log.warning("http", "cannot tell the request's path: \(error); the web server sent \(Self.names(raw).joined(separator: ", "))")
            throw error
        }
        return contentLength
    }

    /// The names (not the values) of the params the front end sent, for the log.
    private static func names(_ raw: UnsafeMutablePointer<FCGX_Request>) -> [String] {
        var names: [String] = []
        var cursor = raw.pointee.envp
        while let entry = cursor?.pointee {
            cursor = cursor! + 1
            names.append(String(String(cString: entry).prefix { $0 != "=" }))
        }
        return names
    }

    /// The path or query: it must be UTF-8 (nginx has already decoded the path's escapes).
    private static func address(_ bytes: UnsafeBufferPointer<UInt8>) throws -> String {
        guard let text = UTF8Text.validated(bytes) else {
            throw HTTPError(400, "The address is not valid UTF-8 text.")
        }
        return text
    }

    private func readBody(_ raw: UnsafeMutablePointer<FCGX_Request>, contentLength: String) throws -> [UInt8] {
        if contentLength.isEmpty { return [] }
        guard let length = Int(contentLength), length >= 0 else {
            throw HTTPError(400, "The Content-Length header is not a number.")
        }
        guard length <= limits.maxBodyBytes else {
            drain(raw, upTo: 8 * limits.maxBodyBytes)
            throw HTTPError(413, "The request body is \(length) bytes; this server accepts at most \(limits.maxBodyBytes).")
        }
        var body = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let got = body.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length) {
                    FCGX_GetStr($0 + filled, Int32(length - filled), raw.pointee.in)
                }
            }
            if got <= 0 { throw HTTPError(400, "The request body is shorter than its Content-Length.") }
            filled += Int(got)
        }
        return body
    }

    /// Reads and discards an oversized body so nginx can finish sending it and read our 413.
    private func drain(_ raw: UnsafeMutablePointer<FCGX_Request>, upTo cap: Int) {
        var scratch = [CChar](repeating: 0, count: 16 * 1024)
        var drained = 0
        while drained < cap {
            let got = FCGX_GetStr(&scratch, Int32(scratch.count), raw.pointee.in)
            if got <= 0 { return }
            drained += Int(got)
        }
    }
}
