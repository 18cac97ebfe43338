import Foundation

/// A FastCGI client speaking straight to the worker's socket, as nginx would, but able to do
/// what nginx never does: wait between connecting and sending (a slow peer), or connect from a
/// chosen loopback address (an untrusted host).
enum FastCGIClient {
    /// What came back: the `Status:` of the response, its whole stdout, and whether the worker
    /// ended the request properly (FCGI_END_REQUEST) rather than dropping the connection.
    struct Answer {
        var status: Int?
        var stdout: String
        var ended: Bool
    }

    /// A connected unix socket to `path`.
    static func unix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        var address = UnixSocket.address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw HarnessError("cannot connect to \(path): errno \(errno)")
        }
        return fd
    }

    /// A TCP connection to 127.0.0.1:`port` from loopback address `source` (e.g. 127.0.0.2).
    static func tcp(port: Int, from source: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var remote = Nginx.loopback(port: port)
        let ok = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0 && withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
        guard ok else {
            close(fd)
            throw HarnessError("cannot connect from \(source) to 127.0.0.1:\(port): errno \(errno)")
        }
        return fd
    }

    /// Sends `GET path` on the connected `fd` after waiting `delay` seconds, reads the answer
    /// (at most `timeout` seconds) and closes `fd`.
    static func get(_ path: String, on fd: Int32, delay: Double = 0, timeout: Double = 15) -> Answer {
        request("GET", path, on: fd, delay: delay, timeout: timeout)
    }

    /// Sends a request on `fd`: after `delay` seconds the params, then after `bodyDelay` more the
    /// body (a slow upload keeps the request in flight); reads the answer and closes `fd`.
    static func request(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "",
                        on fd: Int32, delay: Double = 0, bodyDelay: Double = 0, timeout: Double = 15) -> Answer {
        defer { close(fd) }
        if delay > 0 { usleep(UInt32(delay * 1_000_000)) }
        let params: [(String, String)] = [
            ("REQUEST_METHOD", method), ("DOCUMENT_URI", path), ("REQUEST_URI", path), ("QUERY_STRING", ""),
            ("SERVER_PORT", "80"), ("HTTP_HOST", "localhost"), ("CONTENT_TYPE", contentType),
            ("CONTENT_LENGTH", body.isEmpty ? "" : String(body.count)),
        ]
        // BEGIN_REQUEST (responder, no keep-alive), the params, their end.
        let head = record(1, [0, 1, 0, 0, 0, 0, 0, 0]) + record(4, params.flatMap { pair($0.0, $0.1) }) + record(4, [])
        let stdin = (body.isEmpty ? [] : record(5, body)) + record(5, [])
        guard sendAll(head, fd) else { return Answer(status: nil, stdout: "", ended: false) }
        if bodyDelay > 0 { usleep(UInt32(bodyDelay * 1_000_000)) }
        guard sendAll(stdin, fd) else { return Answer(status: nil, stdout: "", ended: false) }
        return read(fd, timeout: timeout)
    }

    private static func sendAll(_ bytes: [UInt8], _ fd: Int32) -> Bool {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private static func read(_ fd: Int32, timeout: Double) -> Answer {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = monotonicSeconds() + timeout
        var stdout: [UInt8] = []
        while monotonicSeconds() < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) >= 0 else { break }
            if entry.revents == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            // Whole records: type at 1, length at 4–5, padding at 6.
            while received.count >= 8 {
                let length = Int(received[4]) << 8 | Int(received[5])
                let total = 8 + length + Int(received[6])
                guard received.count >= total else { break }
                let type = received[1]
                if type == 6 { stdout += received[8..<(8 + length)] }
                received.removeFirst(total)
                if type == 3 { return answer(stdout, ended: true) }
            }
        }
        return answer(stdout, ended: false)
    }

    private static func answer(_ stdout: [UInt8], ended: Bool) -> Answer {
        let text = String(decoding: stdout, as: UTF8.self)
        let status = text.hasPrefix("Status: ") ? Int(text.dropFirst(8).prefix(3)) : nil
        return Answer(status: status, stdout: text, ended: ended)
    }

    private static func record(_ type: UInt8, _ content: [UInt8]) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    private static func pair(_ name: String, _ value: String) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128 ? [UInt8(count)] : [UInt8(0x80 | (count >> 24)), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)]
        }
        return length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
    }
}
