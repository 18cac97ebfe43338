import Foundation

/// One raw FastCGI connection, for sending records a front end would never send and reading
/// back exactly what the worker answers, record by record.
final class RecordConnection {
    /// A record as received.
    struct Received: CustomStringConvertible {
        var type: UInt8
        var id: UInt16
        var content: [UInt8]
        var description: String { "type \(type) id \(id) \(content.count) bytes" }
        /// `END_REQUEST`'s protocol status.
        var protocolStatus: UInt8? { type == 3 && content.count == 8 ? content[4] : nil }
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var closedByWorker = false

    init(unix path: String) throws { fd = try FastCGIClient.unix(path) }

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Sends `bytes`; false if the worker had closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads records until `done` says the ones so far suffice, the worker closes, or `timeout`.
    func read(timeout: Double = 10, until done: ([Received]) -> Bool) -> [Received] {
        var records: [Received] = []
        let deadline = Date().timeIntervalSince1970 + timeout
        while !done(records), Date().timeIntervalSince1970 < deadline {
            if let record = take() {
                records.append(record)
                continue
            }
            if closedByWorker { break }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) >= 0 else { break }
            if entry.revents == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got <= 0 { closedByWorker = true } else { buffer += chunk[..<got] }
        }
        return records
    }

    /// Reads until an `END_REQUEST` for `id`: the records up to and including it.
    func readResponse(id: UInt16 = 1, timeout: Double = 10) -> [Received] {
        read(timeout: timeout) { $0.last.map { $0.type == 3 && $0.id == id } ?? false }
    }

    /// True when the worker closes the connection within `timeout` (records still arriving are read).
    func waitForClose(timeout: Double) -> Bool {
        _ = read(timeout: timeout) { _ in false }
        return closedByWorker
    }

    private func take() -> Received? {
        guard buffer.count >= 8 else { return nil }
        let length = Int(buffer[4]) << 8 | Int(buffer[5])
        let total = 8 + length + Int(buffer[6])
        guard buffer.count >= total else { return nil }
        let record = Received(type: buffer[1], id: UInt16(buffer[2]) << 8 | UInt16(buffer[3]), content: Array(buffer[8..<(8 + length)]))
        buffer.removeFirst(total)
        return record
    }

    /// The `STDOUT` text of `records` for request `id`.
    static func stdout(_ records: [Received], id: UInt16 = 1) -> String {
        String(decoding: records.filter { $0.type == 6 && $0.id == id }.flatMap(\.content), as: UTF8.self)
    }

    /// The HTTP status in `Status:` of a response's stdout.
    static func status(_ records: [Received], id: UInt16 = 1) -> Int? {
        let text = stdout(records, id: id)
        return text.hasPrefix("Status: ") ? Int(text.dropFirst(8).prefix(3)) : nil
    }
}

/// FastCGI records as bytes.
enum Records {
    static func record(_ type: UInt8, id: UInt16 = 1, _ content: [UInt8] = [], padding: Int = 0, version: UInt8 = 1) -> [UInt8] {
        [version, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF),
         UInt8(padding), 0] + content + [UInt8](repeating: 0, count: padding)
    }

    static func begin(id: UInt16 = 1, role: UInt16 = 1, keep: Bool = false, padding: Int = 0) -> [UInt8] {
        record(1, id: id, [UInt8(role >> 8), UInt8(role & 0xFF), keep ? 1 : 0, 0, 0, 0, 0, 0], padding: padding)
    }

    static func pairs(_ pairs: [(String, String)]) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128 ? [UInt8(count)] : [UInt8(0x80 | (count >> 24)), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)]
        }
        return pairs.flatMap { length($0.0.utf8.count) + length($0.1.utf8.count) + Array($0.0.utf8) + Array($0.1.utf8) }
    }

    /// The params nginx sends for `method path`, with a same-origin `Origin` for posts.
    static func params(_ method: String, _ path: String, body: [UInt8] = []) -> [(String, String)] {
        var params = [("REQUEST_METHOD", method), ("DOCUMENT_URI", path), ("QUERY_STRING", ""), ("SERVER_PORT", "80"),
                      ("HTTP_HOST", "localhost"), ("CONTENT_LENGTH", body.isEmpty ? "" : String(body.count))]
        if !body.isEmpty {
            params += [("CONTENT_TYPE", "application/x-www-form-urlencoded"), ("HTTP_ORIGIN", "http://localhost")]
        }
        return params
    }

    /// A whole request: begin, params, their end, the body, its end.
    static func request(_ method: String = "GET", _ path: String = "/healthz", id: UInt16 = 1, keep: Bool = false,
                        body: [UInt8] = [], padding: Int = 0) -> [UInt8] {
        var out = begin(id: id, keep: keep, padding: padding)
        out += record(4, id: id, pairs(params(method, path, body: body)), padding: padding) + record(4, id: id, padding: padding)
        if !body.isEmpty { out += record(5, id: id, body, padding: padding) }
        return out + record(5, id: id, padding: padding)
    }
}
