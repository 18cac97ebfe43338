/// One request that took longer than `slowRequest`, and where its time went: the one warning line
/// it gets, `[slow] GET /tasks 1.52 s: writer 1.20 s, handler 0.25 s, render 0.05 s, write 0.02 s`,
/// with the same values as fields in the JSON format. The path never carries the query.
struct SlowRequest: Equatable {
    var method: String
    var path: String
    /// From the request's start to its response handed to the socket, in nanoseconds.
    var total: UInt64
    /// Waiting for the SQLite writer (0 on PostgreSQL).
    var writer: UInt64
    /// The handler's own work: its time less the writer wait and the render.
    var handler: UInt64
    /// Building the page.
    var render: UInt64
    /// The access line and the send of the response (to the socket, or into the outbox for the epoll loop).
    var write: UInt64

    /// The phases from the clock readings: the start, the handler's end (response records built),
    /// the send's end, and the meter's writer and render totals.
    init(method: String, path: String, started: UInt64, handled: UInt64, sent: UInt64, writer: UInt64, render: UInt64) {
        (self.method, self.path, self.writer, self.render) = (method, path, writer, render)
        total = sent &- started
        let handling = handled &- started
        handler = handling > writer + render ? handling - writer - render : 0
        write = sent &- handled
    }

    /// The text after `[slow] `.
    var message: String {
        "\(method) \(path) \(Self.span(total)): writer \(Self.span(writer)), handler \(Self.span(handler)), render \(Self.span(render)), write \(Self.span(write))"
    }

    /// The JSON format's fields, in milliseconds.
    var fields: [LogField] {
        func ms(_ nanoseconds: UInt64) -> LogValue { .milliseconds(Double(nanoseconds) / 1_000_000) }
        return [("method", .string(method)), ("path", .string(path)), ("durationMs", ms(total)),
                ("writerMs", ms(writer)), ("handlerMs", ms(handler)), ("renderMs", ms(render)), ("writeMs", ms(write))]
    }

    /// `1.52 s` from a second up, else milliseconds as the access line writes them (`13.4 ms`, `0.042 ms`).
    static func span(_ nanoseconds: UInt64) -> String {
        if nanoseconds >= 1_000_000_000 {
            let centiseconds = (nanoseconds + 5_000_000) / 10_000_000
            return "\(centiseconds / 100).\(UTCText.pad(Int(centiseconds % 100), 2)) s"
        }
        return JobRunner.milliseconds(Int64(nanoseconds / 1000)) + " ms"
    }
}

extension Log {
    /// The slow request's one line, at warning level.
    func slow(_ request: SlowRequest) {
        warning("slow", request.message, fields: request.fields)
    }
}
