import Testing
@testable import TaskFCGIKit

/// FastCGI records as a front end (or a hostile peer) would send them.
enum Wire {
    static func record(_ type: UInt8, id: UInt16, _ content: [UInt8] = [], padding: Int = 0, version: UInt8 = 1) -> [UInt8] {
        [version, type, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8), UInt8(content.count & 0xFF),
         UInt8(padding), 0] + content + [UInt8](repeating: 0xAA, count: padding)
    }

    static func begin(id: UInt16 = 1, role: UInt16 = 1, keep: Bool = false, padding: Int = 0) -> [UInt8] {
        record(1, id: id, [UInt8(role >> 8), UInt8(role & 0xFF), keep ? 1 : 0, 0, 0, 0, 0, 0], padding: padding)
    }

    static func pairs(_ pairs: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in pairs { Record.appendPair(name, value, to: &out) }
        return out
    }

    static let nginxParams: [(String, String)] = [
        ("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/healthz"), ("QUERY_STRING", ""),
        ("SERVER_PORT", "8080"), ("HTTP_HOST", "127.0.0.1"), ("CONTENT_LENGTH", ""),
    ]

    /// A whole request as nginx sends it: begin, params, the empty params, stdin, the empty stdin.
    static func request(id: UInt16 = 1, keep: Bool = false, params: [(String, String)] = nginxParams,
                        body: [UInt8] = [], padding: Int = 0) -> [UInt8] {
        var out = begin(id: id, keep: keep, padding: padding)
        out += record(4, id: id, pairs(params), padding: padding) + record(4, id: id, padding: padding)
        if !body.isEmpty { out += record(5, id: id, body, padding: padding) }
        return out + record(5, id: id, padding: padding)
    }
}

/// What a reader made of a byte stream, in a form tests compare.
struct ReaderRun: Equatable {
    var events: [String] = []
    var requests: [FastCGIRequest] = []

    static func == (a: ReaderRun, b: ReaderRun) -> Bool { a.events == b.events }

    /// Feeds `bytes` in pieces of the given sizes (the rest at the end), as reads would deliver them.
    static func feed(_ bytes: [UInt8], pieces: [Int] = [], limits: RequestReader.Limits = .init()) -> ReaderRun {
        var reader = RequestReader(limits: limits, capacity: .init(maxConnections: 100, maxRequests: 100))
        var run = ReaderRun()
        var pending: [UInt8] = []
        var offset = 0
        var sizes = pieces
        while offset < bytes.count {
            let size = sizes.isEmpty ? bytes.count - offset : max(1, min(sizes.removeFirst(), bytes.count - offset))
            pending += bytes[offset..<(offset + size)]
            offset += size
            while true {
                let (event, consumed) = pending.withUnsafeBytes { reader.next($0) }
                pending.removeFirst(consumed)
                guard let event else { break }
                switch event {
                case .request(let request):
                    run.requests.append(request)
                    run.events.append("request \(request.id) keep=\(request.keepConnection) params=\(request.params) body=\(request.body) refusal=\(String(describing: request.refusal))")
                case .reply(let bytes): run.events.append("reply \(bytes)")
                case .failure(let reason):
                    run.events.append("failure \(reason)")
                    return run
                }
            }
        }
        return run
    }
}

@Suite("FastCGI record layer")
struct RecordLayerTests {
    @Test("a request nginx would send is delivered whole, with its params and body")
    func wholeRequest() throws {
        let params = Wire.nginxParams.filter { $0.0 != "CONTENT_LENGTH" } + [("CONTENT_LENGTH", "5")]
        let run = ReaderRun.feed(Wire.request(id: 7, keep: true, params: params, body: Array("a=b&c".utf8)))
        try #require(run.requests.count == 1)
        let request = run.requests[0]
        #expect(request.id == 7 && request.keepConnection)
        #expect(request.body == Array("a=b&c".utf8))
        #expect(request.contentLength == 5)
        #expect(request.pairs.count == Wire.nginxParams.count)
        #expect(request.refusal == nil)
    }

    @Test("split at every byte, or one byte at a time, the same events come out")
    func splitAnywhere() {
        let stream = Wire.request(keep: true, body: Array("x=1".utf8)) + Wire.record(9, id: 0, Wire.pairs([("FCGI_MPXS_CONNS", "")]))
            + Wire.request(id: 2, padding: 5)
        let whole = ReaderRun.feed(stream)
        #expect(whole.events.count == 3)
        for split in 1..<stream.count {
            #expect(ReaderRun.feed(stream, pieces: [split]) == whole, "split at \(split)")
        }
        #expect(ReaderRun.feed(stream, pieces: [Int](repeating: 1, count: stream.count)) == whole)
    }

    @Test("padding on any record, BEGIN_REQUEST and the empty PARAMS included, is skipped")
    func padding() throws {
        for padding in [1, 7, 255] {
            let run = ReaderRun.feed(Wire.request(padding: padding))
            try #require(run.requests.count == 1, "padding \(padding): \(run.events)")
            #expect(run.requests[0].refusal == nil)
        }
    }

    @Test("params split anywhere inside a pair, across PARAMS records, decode the same")
    func paramsSplitAcrossRecords() throws {
        let pairs = Wire.pairs([("REQUEST_METHOD", "POST"), ("HTTP_X_LONG", String(repeating: "v", count: 300))])
        // (An empty PARAMS record ends the params, so each piece holds at least a byte.)
        for cut in 1..<pairs.count {
            var stream = Wire.begin()
            stream += Wire.record(4, id: 1, Array(pairs[..<cut])) + Wire.record(4, id: 1, Array(pairs[cut...]))
            stream += Wire.record(4, id: 1) + Wire.record(5, id: 1)
            let run = ReaderRun.feed(stream)
            try #require(run.requests.count == 1, "cut \(cut): \(run.events)")
            #expect(run.requests[0].pairs.count == 2)
        }
    }

    @Test("GET_VALUES is answered at once with the real values; repeated names once, unknown ones left out")
    func getValues() throws {
        let names = [String](repeating: "FCGI_MAX_CONNS", count: 8) + ["FCGI_MPXS_CONNS", "NOT_A_NAME", "FCGI_MAX_REQS"]
        let asked = Wire.record(9, id: 0, Wire.pairs(names.map { ($0, "") }))
        var reader = RequestReader(limits: .init(), capacity: .init(maxConnections: 321, maxRequests: 123))
        let (event, consumed) = asked.withUnsafeBytes { reader.next($0) }
        #expect(consumed == asked.count)
        guard case .reply(let reply) = event else { Issue.record("no reply: \(String(describing: event))"); return }
        #expect(reply[1] == 10)
        let content = Array(reply[8...])
        #expect(content == Wire.pairs([("FCGI_MAX_CONNS", "321"), ("FCGI_MPXS_CONNS", "0"), ("FCGI_MAX_REQS", "123")]))
    }

    @Test("other management types get UNKNOWN_TYPE naming the type")
    func unknownManagementType() {
        let run = ReaderRun.feed(Wire.record(42, id: 0, [1, 2, 3]))
        #expect(run.events == ["reply \(Wire.record(11, id: 0, [42, 0, 0, 0, 0, 0, 0, 0]))"])
    }

    @Test("AUTHORIZER and FILTER get END_REQUEST with UNKNOWN_ROLE, and their records are ignored")
    func otherRoles() {
        for role: UInt16 in [2, 3, 99] {
            var stream = Wire.begin(id: 3, role: role)
            stream += Wire.record(4, id: 3, Wire.pairs(Wire.nginxParams)) + Wire.record(4, id: 3) + Wire.record(5, id: 3)
            stream += Wire.record(8, id: 3, [1, 2])
            let run = ReaderRun.feed(stream)
            var end: [UInt8] = []
            Record.appendEnd(id: 3, protocolStatus: 3, to: &end)
            #expect(run.events == ["reply \(end)"], "role \(role)")
        }
    }

    @Test("a second BEGIN_REQUEST during a request gets CANT_MPX_CONN and leaves the first alone")
    func secondBegin() throws {
        var stream = Wire.begin(id: 1) + Wire.record(4, id: 1, Wire.pairs(Wire.nginxParams))
        stream += Wire.begin(id: 2) + Wire.record(4, id: 2, Wire.pairs([("REQUEST_METHOD", "POST")])) + Wire.record(4, id: 2)
        stream += Wire.record(4, id: 1) + Wire.record(5, id: 2, [1]) + Wire.record(5, id: 1)
        let run = ReaderRun.feed(stream)
        var end: [UInt8] = []
        Record.appendEnd(id: 2, protocolStatus: 1, to: &end)
        try #require(run.events.count == 2, "\(run.events)")
        #expect(run.events[0] == "reply \(end)")
        #expect(run.requests.first?.id == 1)
        #expect(run.requests.first?.pairs.count == Wire.nginxParams.count)
        #expect(run.requests.first?.body == [])
    }

    @Test("ABORT_REQUEST before the body is complete ends the request with no request delivered")
    func abort() {
        var stream = Wire.begin(id: 4) + Wire.record(4, id: 4, Wire.pairs(Wire.nginxParams)) + Wire.record(4, id: 4)
        stream += Wire.record(5, id: 4, [1, 2, 3]) + Wire.record(2, id: 4) + Wire.record(5, id: 4)
        var end: [UInt8] = []
        Record.appendEnd(id: 4, protocolStatus: 0, to: &end)
        #expect(ReaderRun.feed(stream).events == ["reply \(end)"])
    }

    @Test("framing errors end the stream with a reason, never a request", arguments: [
        ("another version", Wire.record(1, id: 1, [0, 1, 0, 0, 0, 0, 0, 0], version: 2), "version 2"),
        ("STDOUT from the client", Wire.begin() + Wire.record(6, id: 1, [65]), "STDOUT record"),
        ("STDOUT inside the params", Wire.begin() + Wire.record(4, id: 1, Wire.pairs(Wire.nginxParams)) + Wire.record(6, id: 1, [65]) + Wire.record(4, id: 1) + Wire.record(5, id: 1), "STDOUT record"),
        ("END_REQUEST from the client", Wire.record(3, id: 1, [0, 0, 0, 0, 0, 0, 0, 0]), "END_REQUEST"),
        ("STDIN before the params end", Wire.begin() + Wire.record(5, id: 1, [1]), "before its params had ended"),
        ("PARAMS after the params ended", Wire.begin() + Wire.record(4, id: 1) + Wire.record(4, id: 1, [1, 0, 65]), "after its params had ended"),
        ("a BEGIN_REQUEST of 7 bytes", Wire.record(1, id: 1, [0, 1, 0, 0, 0, 0, 0]), "7 bytes"),
        ("a pair cut short", Wire.begin() + Wire.record(4, id: 1, [5, 0, 65, 66]) + Wire.record(4, id: 1), "inside a name-value pair"),
        ("DATA for a responder", Wire.begin() + Wire.record(4, id: 1) + Wire.record(8, id: 1, [1]), "DATA record"),
        ("a type beyond the specification", Wire.begin() + Wire.record(77, id: 1), "type 77"),
    ])
    func framingErrors(_ name: String, _ stream: [UInt8], _ reason: String) throws {
        let run = ReaderRun.feed(stream)
        #expect(run.requests.isEmpty, "\(name)")
        let last = try #require(run.events.last, "\(name)")
        #expect(last.hasPrefix("failure") && last.contains(reason), "\(name): \(last)")
    }

    @Test("params past the limit are counted, not kept: 431, or 414 when the address is the long one")
    func paramsLimit() throws {
        let limits = RequestReader.Limits(maxParamsBytes: 1000, maxParams: 50, maxBodyBytes: 100)
        let long = String(repeating: "h", count: 5000)
        for (pairs, address) in [([("HTTP_COOKIE", long)], false), ([("DOCUMENT_URI", "/" + long)], true)] {
            let run = ReaderRun.feed(Wire.request(params: Wire.nginxParams + pairs), limits: limits)
            let request = try #require(run.requests.first)
            #expect(request.params.count <= 1000)
            #expect(request.refusal == .paramsTooLarge(address: address))
        }
        let many = (0..<60).map { ("HTTP_X_\($0)", "1") }
        #expect(ReaderRun.feed(Wire.request(params: many), limits: limits).requests.first?.refusal == .tooManyParams)
    }

    @Test("a body past maxBodyBytes is refused without keeping it, whatever CONTENT_LENGTH says")
    func bodyLimit() throws {
        let limits = RequestReader.Limits(maxParamsBytes: 1000, maxParams: 50, maxBodyBytes: 100)
        let body = [UInt8](repeating: 66, count: 500)
        let declared = ReaderRun.feed(Wire.request(params: [("CONTENT_LENGTH", "500")], body: body), limits: limits)
        #expect(declared.requests.first?.refusal == .bodyTooLarge(declared: 500))
        #expect(declared.requests.first?.body.isEmpty == true)
        let undeclared = ReaderRun.feed(Wire.request(params: [("CONTENT_LENGTH", "5")], body: body), limits: limits)
        #expect(undeclared.requests.first?.refusal == .bodyTooLarge(declared: 5))
        #expect(undeclared.requests.first?.body.isEmpty == true)
    }

    @Test("records of a request that is not being read are ignored")
    func strayRecords() {
        let stream = Wire.record(4, id: 9, [1, 0, 65]) + Wire.record(5, id: 9, [1]) + Wire.record(2, id: 9) + Wire.request(id: 1)
        let run = ReaderRun.feed(stream)
        #expect(run.requests.map(\.id) == [1])
        #expect(run.events.count == 1)
    }

    @Test("a response is STDOUT records of at most 65,535 bytes, the empty STDOUT, then END_REQUEST")
    func responseRecords() throws {
        let body = [UInt8](repeating: 120, count: 150_000)
        var output: [UInt8] = []
        ResponseHead.append(Response(status: 200, headers: [("Content-Type", "text/plain")], body: body), id: 5, omitBody: false, to: &output)
        var offset = 0
        var stdout: [UInt8] = []
        var types: [UInt8] = []
        while offset < output.count {
            let length = Int(output[offset + 4]) << 8 | Int(output[offset + 5])
            #expect(output[offset + 2] == 0 && output[offset + 3] == 5)
            types.append(output[offset + 1])
            if output[offset + 1] == 6 { stdout += output[(offset + 8)..<(offset + 8 + length)] }
            offset += 8 + length + Int(output[offset + 6])
        }
        #expect(offset == output.count)
        #expect(types == [6, 6, 6, 6, 3])
        let head = "Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 150000\r\n\r\n"
        #expect(stdout == Array(head.utf8) + body)
    }
}
