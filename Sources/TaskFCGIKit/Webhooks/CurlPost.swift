import CCurl
import Glibc

/// One HTTP POST through libcurl, the only place that touches CCurl: an easy handle of its own
/// (so any thread may run one), redirects not followed, certificates verified, http and https
/// only, no proxy from the environment, and every address curl connects to checked first.
struct CurlPost {
    /// Where to POST, as given to curl.
    let url: String
    /// Header lines, `name: value`.
    let headers: [String]
    /// Sent as is.
    let body: [UInt8]
    /// Bounds DNS, TCP and TLS together.
    let connectTimeout: Interval
    /// Bounds the whole transfer.
    let totalTimeout: Interval
    /// Whether the open-socket check lets private addresses through.
    let allowPrivateNetworks: Bool
    /// How much of the response body is kept (the rest is read and dropped).
    let responseLimit: Int

    /// How a POST ended, before it is judged a delivery or not.
    enum End: Equatable {
        /// The server answered; `location` is where a redirect pointed.
        case response(status: Int, location: String?, body: [UInt8])
        /// Every address the host had was private: nothing was sent.
        case privateAddress(IPAddress, kind: String)
        /// A timeout fired, before or after the connection was made.
        case timedOut(whileConnecting: Bool)
        /// The last connect was refused (ECONNREFUSED: nothing listens there).
        case connectionRefused
        /// DNS had no address for the host.
        case unresolvedHost
        /// Anything else, in curl's words.
        case failed(String)
    }

    /// curl_global_init, run once by whichever thread gets here first (Swift's lazy statics are
    /// initialised exactly once); before it no handle may be made.
    private static let initialized: Bool = taskfcgi_curl_global_init() == CURLE_OK

    /// Runs the POST to its end; blocks the calling thread at most about `totalTimeout`.
    func perform() -> End {
        guard Self.initialized, let handle = curl_easy_init() else { return .failed("libcurl could not start") }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(list) }
        for header in headers {
            guard let longer = curl_slist_append(list, header) else { return .failed("libcurl is out of memory") }
            list = longer
        }
        let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        defer { errorText.deallocate() }
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let state = TransferState(allowPrivateNetworks: allowPrivateNetworks, responseLimit: responseLimit)
        return withExtendedLifetime(state) {
            let context = Unmanaged.passUnretained(state).toOpaque()
            if let problem = configure(handle, headers: list, errorText: errorText, context: context) {
                return .failed(problem)
            }
            let code = curl_easy_perform(handle)
            return end(of: handle, code: code, state: state, errorText: String(cString: errorText))
        }
    }

    /// Sets every option; the name of one libcurl refused, or nil.
    private func configure(_ handle: UnsafeMutableRawPointer, headers list: UnsafeMutablePointer<curl_slist>?,
                           errorText: UnsafeMutablePointer<CChar>, context: UnsafeMutableRawPointer) -> String? {
        // An empty array may have no storage; one byte more gives COPYPOSTFIELDS a real address.
        let bodyStorage = body + [0]
        let settings: [(String, () -> CURLcode)] = [
            ("URL", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_URL, url) }),
            ("NOSIGNAL", { taskfcgi_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) }),
            ("PROTOCOLS_STR", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_PROTOCOLS_STR, "http,https") }),
            ("REDIR_PROTOCOLS_STR", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") }),
            ("FOLLOWLOCATION", { taskfcgi_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0) }),
            // "" turns off proxies from http_proxy and friends: the checked address is the real peer.
            ("PROXY", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_PROXY, "") }),
            ("SSL_VERIFYPEER", { taskfcgi_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1) }),
            ("SSL_VERIFYHOST", { taskfcgi_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2) }),
            ("CONNECTTIMEOUT_MS", { taskfcgi_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout.milliseconds)) }),
            ("TIMEOUT_MS", { taskfcgi_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(totalTimeout.milliseconds)) }),
            ("POST", { taskfcgi_curl_setopt_long(handle, CURLOPT_POST, 1) }),
            ("POSTFIELDSIZE_LARGE", { taskfcgi_curl_setopt_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)) }),
            ("COPYPOSTFIELDS", { bodyStorage.withUnsafeBytes { taskfcgi_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) } }),
            ("HTTPHEADER", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, list) }),
            ("ERRORBUFFER", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorText) }),
            ("WRITEFUNCTION", { taskfcgi_curl_setopt_write(handle, keepResponse) }),
            ("WRITEDATA", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context) }),
            ("OPENSOCKETFUNCTION", { taskfcgi_curl_setopt_opensocket(handle, openCheckedSocket) }),
            ("OPENSOCKETDATA", { taskfcgi_curl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, context) }),
        ]
        for (name, set) in settings {
            let code = set()
            if code != CURLE_OK { return "libcurl refused CURLOPT_\(name): \(String(cString: curl_easy_strerror(code)))" }
        }
        return nil
    }

    /// What `code` and the handle's state say about how the transfer ended.
    private func end(of handle: UnsafeMutableRawPointer, code: CURLcode, state: TransferState, errorText: String) -> End {
        // Only private addresses were offered: whatever curl made of that, nothing was sent.
        if code != CURLE_OK, !state.openedSocket, let refused = state.refused {
            return .privateAddress(refused.address, kind: refused.kind)
        }
        switch code {
        case CURLE_OK:
            var status = 0
            var location: UnsafeMutablePointer<CChar>? = nil
            _ = taskfcgi_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            _ = taskfcgi_curl_getinfo_string(handle, CURLINFO_REDIRECT_URL, &location)
            return .response(status: status, location: location.map { String(cString: $0) }, body: state.response)
        case CURLE_COULDNT_CONNECT where osErrno(handle) == ECONNREFUSED:
            return .connectionRefused
        case CURLE_OPERATION_TIMEDOUT:
            var connected: curl_off_t = 0
            _ = taskfcgi_curl_getinfo_offset(handle, CURLINFO_CONNECT_TIME_T, &connected)
            return .timedOut(whileConnecting: connected == 0)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .unresolvedHost
        default:
            return .failed(errorText.isEmpty ? String(cString: curl_easy_strerror(code)) : errorText)
        }
    }

    /// The errno of the last failed connect.
    private func osErrno(_ handle: UnsafeMutableRawPointer) -> Int32 {
        var number = 0
        _ = taskfcgi_curl_getinfo_long(handle, CURLINFO_OS_ERRNO, &number)
        return Int32(truncatingIfNeeded: number)
    }
}

/// What the callbacks of one transfer share with it, passed to them as an unretained pointer.
private final class TransferState {
    let allowPrivateNetworks: Bool
    let responseLimit: Int
    var response: [UInt8] = []
    /// The last address refused as private.
    var refused: (address: IPAddress, kind: String)?
    /// Whether any socket was opened (some address was allowed).
    var openedSocket = false

    init(allowPrivateNetworks: Bool, responseLimit: Int) {
        (self.allowPrivateNetworks, self.responseLimit) = (allowPrivateNetworks, responseLimit)
    }
}

/// CURLOPT_WRITEFUNCTION: keeps the start of the response body and swallows the rest.
private let keepResponse: curl_write_callback = { data, size, count, context in
    let length = size * count
    guard let data, let context else { return length }
    let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
    let room = max(0, state.responseLimit - state.response.count)
    if room > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            state.response.append(contentsOf: UnsafeBufferPointer(start: $0, count: min(room, length)))
        }
    }
    return length
}

/// CURLOPT_OPENSOCKETFUNCTION: curl asks for a socket to each address it is about to connect to,
/// after DNS; a private one gets CURL_SOCKET_BAD unless allowed, so no name can smuggle one in.
private let openCheckedSocket: curl_opensocket_callback = { context, _, address in
    guard let context, let address else { return taskfcgi_curl_socket_bad() }
    let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
    guard let (ip, _) = PeerAddress.ip(from: taskfcgi_curl_sockaddr_address(address)) else {
        return taskfcgi_curl_socket_bad()
    }
    if !state.allowPrivateNetworks, let kind = PrivateNetworks.kind(of: ip) {
        state.refused = (ip, kind)
        return taskfcgi_curl_socket_bad()
    }
    let socket = Glibc.socket(address.pointee.family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
    if socket >= 0 { state.openedSocket = true }
    return socket
}
