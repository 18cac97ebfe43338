/// A request as the record layer hands it to a request thread: complete, with its params and
/// body in buffers of its own.
struct FastCGIRequest: Sendable {
    /// Why a request is answered with an error instead of being handled: a limit was reached, and
    /// the bytes past it were counted but never kept.
    enum Refusal: Equatable, Sendable {
        /// The params passed `maxParamsBytes`; `address`: the param that did is the path or query.
        case paramsTooLarge(address: Bool)
        case tooManyParams
        /// The body passed `maxBodyBytes` (`declared`: its `CONTENT_LENGTH`, when it said).
        case bodyTooLarge(declared: Int?)
    }

    var id: UInt16
    /// `FCGI_KEEP_CONN`: the front end wants the connection kept after the response.
    var keepConnection: Bool
    /// The params stream's bytes, and where each pair lies in it.
    var params: [UInt8] = []
    var pairs: [ParamPairs.Pair] = []
    /// `CONTENT_LENGTH` as the front end sent it, when it did.
    var contentLength: Int?
    var body: [UInt8] = []
    var refusal: Refusal?
}

/// The reading half of the FastCGI 1.0 record layer for one connection, as a pure state machine:
/// bytes in, events out. Records may arrive split at any byte and padded or not; a request is
/// delivered only when its `STDIN` stream has ended, so the thread that serves it never waits for
/// a peer. One request is read at a time (`FCGI_MPXS_CONNS` is 0): a `BEGIN_REQUEST` for another id
/// meanwhile is answered `FCGI_CANT_MPX_CONN` and its records are ignored, leaving the first alone.
struct RequestReader {
    /// The most the reader keeps for one request; what passes a limit is counted, not kept.
    struct Limits: Sendable {
        var maxParamsBytes = 64 * 1024
        var maxParams = 512
        var maxBodyBytes = 1 << 20
    }

    /// What a call to `next` produced.
    enum Event {
        /// A complete request to serve.
        case request(FastCGIRequest)
        /// Records to send back now (management answers, an `END_REQUEST` for a refused id).
        case reply([UInt8])
        /// The peer broke the protocol: close the connection, logging this.
        case failure(String)
    }

    /// What `GET_VALUES` answers.
    struct Capacity: Sendable {
        var maxConnections: Int
        var maxRequests: Int
    }

    private enum Phase { case params, stdin }

    private struct Active {
        var request: FastCGIRequest
        var phase = Phase.params
        /// Params bytes seen, kept or not.
        var paramsSeen = 0
        /// Body bytes seen, kept or not.
        var bodySeen = 0
    }

    let limits: Limits
    let capacity: Capacity
    private var active: Active?

    init(limits: Limits, capacity: Capacity) {
        (self.limits, self.capacity) = (limits, capacity)
    }

    /// No request is partly read: the connection is idle between requests.
    var isIdle: Bool { active == nil }

    /// Consumes whole records from the front of `bytes` until one of them yields an event (or no
    /// whole record is left: `event` nil). `consumed` bytes are done with; the rest must be offered
    /// again, with more after them.
    mutating func next(_ bytes: UnsafeRawBufferPointer) -> (event: Event?, consumed: Int) {
        var offset = 0
        while bytes.count - offset >= Record.headerLength {
            let header = bytes.baseAddress! + offset
            let version = header.load(fromByteOffset: 0, as: UInt8.self)
            let type = header.load(fromByteOffset: 1, as: UInt8.self)
            let id = UInt16(header.load(fromByteOffset: 2, as: UInt8.self)) << 8 | UInt16(header.load(fromByteOffset: 3, as: UInt8.self))
            let length = Int(header.load(fromByteOffset: 4, as: UInt8.self)) << 8 | Int(header.load(fromByteOffset: 5, as: UInt8.self))
            let padding = Int(header.load(fromByteOffset: 6, as: UInt8.self))
            // Checked on the header alone, so a bad stream is refused before its content arrives.
            guard version == Record.version else {
                return (.failure("a record of FastCGI version \(version); only version 1 is spoken"), offset)
            }
            let whole = Record.headerLength + length + padding
            guard bytes.count - offset >= whole else { break }
            let content = UnsafeRawBufferPointer(start: header + Record.headerLength, count: length)
            offset += whole
            if let event = record(type: type, id: id, content: content) { return (event, offset) }
        }
        return (nil, offset)
    }

    /// One whole record.
    private mutating func record(type: UInt8, id: UInt16, content: UnsafeRawBufferPointer) -> Event? {
        if id == 0 {
            // Management records: answered at once, whatever a request is doing.
            if type == Record.getValues { return getValues(content) }
            var reply: [UInt8] = []
            Record.appendUnknownType(type, to: &reply)
            return .reply(reply)
        }
        switch type {
        case Record.beginRequest: return begin(id: id, content)
        case Record.abortRequest:
            guard active?.request.id == id else { return nil }
            active = nil
            return .reply(end(id, Record.requestComplete))
        case Record.params, Record.stdin, Record.data:
            // Records of a request that is not being read (refused, aborted) are ignored.
            guard active?.request.id == id else { return nil }
            return stream(type, content)
        default:
            return .failure("a \(Record.name(type)) record (request \(id)), which a web server never sends")
        }
    }

    private mutating func begin(id: UInt16, _ content: UnsafeRawBufferPointer) -> Event? {
        guard content.count == 8 else {
            return .failure("a BEGIN_REQUEST record with \(content.count) bytes of content instead of 8")
        }
        if let current = active {
            guard current.request.id != id else {
                return .failure("a second BEGIN_REQUEST for request \(id) while it was being read")
            }
            return .reply(end(id, Record.cantMultiplex))
        }
        let role = UInt16(content[0]) << 8 | UInt16(content[1])
        guard role == Record.responder else { return .reply(end(id, Record.unknownRole)) }
        active = Active(request: FastCGIRequest(id: id, keepConnection: content[2] & Record.keepConnection != 0))
        return nil
    }

    private mutating func stream(_ type: UInt8, _ content: UnsafeRawBufferPointer) -> Event? {
        guard var current = active else { return nil }
        // Taken out, so its buffers are referenced once and grow in place; put back at the end
        // unless the request is complete or the stream failed.
        active = nil
        switch (type, current.phase) {
        case (Record.params, .params):
            if content.isEmpty {
                if let failure = finishParams(&current) { return failure }
                current.phase = .stdin
            } else {
                let room = max(0, limits.maxParamsBytes - current.paramsSeen)
                current.request.params.append(contentsOf: UnsafeRawBufferPointer(rebasing: content.prefix(room)))
                current.paramsSeen += content.count
            }
        case (Record.stdin, .stdin):
            if content.isEmpty { return .request(current.request) }
            current.bodySeen += content.count
            if current.request.refusal == nil {
                if current.bodySeen > limits.maxBodyBytes {
                    current.request.refusal = .bodyTooLarge(declared: current.request.contentLength)
                    current.request.body = []
                } else {
                    current.request.body.append(contentsOf: content)
                }
            }
        case (Record.data, _):
            return .failure("a DATA record for request \(current.request.id); a responder takes none")
        case (Record.params, .stdin):
            return .failure("a PARAMS record for request \(current.request.id) after its params had ended")
        default:
            return .failure("a STDIN record for request \(current.request.id) before its params had ended")
        }
        active = current
        return nil
    }

    /// Decodes the params at their end; nil, or the failure when the pairs are malformed.
    private func finishParams(_ current: inout Active) -> Event? {
        var request = current.request
        defer { current.request = request }
        let overflow = current.paramsSeen > limits.maxParamsBytes
        var names: [ParamPairs.Pair] = []
        // nginx sends about 30 params: one allocation for the usual request.
        names.reserveCapacity(40)
        var cutAt = 0
        var malformed = false
        request.params.withUnsafeBytes { bytes in
            var pairs = ParamPairs(bytes: bytes).makeIterator()
            while let pair = pairs.next() {
                names.append(pair)
                if names.count > limits.maxParams { break }
            }
            (malformed, cutAt) = (pairs.malformed, pairs.stoppedAt)
            if overflow { request.refusal = .paramsTooLarge(address: Self.isAddress(cutName: bytes, at: cutAt)) }
        }
        if names.count > limits.maxParams {
            request.refusal = request.refusal ?? .tooManyParams
        } else if malformed && !overflow {
            return .failure("the params of request \(request.id) end inside a name-value pair")
        }
        request.pairs = names
        if request.refusal == nil { request.contentLength = Self.contentLength(request.params, names) }
        if let declared = request.contentLength {
            if declared > limits.maxBodyBytes {
                request.refusal = .bodyTooLarge(declared: declared)
            } else {
                request.body.reserveCapacity(declared)
            }
        }
        return nil
    }

    /// Whether the pair cut short at `at` is the path or the query (414 rather than 431).
    private static func isAddress(cutName bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        var at = start
        guard let nameLength = ParamPairs.length(bytes, &at), ParamPairs.length(bytes, &at) != nil,
              nameLength <= bytes.count - at else { return false }
        let name = UnsafeRawBufferPointer(rebasing: bytes[at..<(at + nameLength)])
        return ["DOCUMENT_URI", "REQUEST_URI", "QUERY_STRING", "PATH_INFO", "SCRIPT_NAME"].contains {
            $0.utf8.elementsEqual(name)
        }
    }

    /// `CONTENT_LENGTH` when present and a number.
    private static func contentLength(_ params: [UInt8], _ pairs: [ParamPairs.Pair]) -> Int? {
        for pair in pairs where pair.name.count == 14 {
            let matched = params.withUnsafeBytes { bytes in
                "CONTENT_LENGTH".utf8.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[pair.name]))
            }
            guard matched else { continue }
            var value = 0
            guard !pair.value.isEmpty, pair.value.count <= 18 else { return nil }
            for byte in params[pair.value] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        return nil
    }

    private func getValues(_ content: UnsafeRawBufferPointer) -> Event {
        var wanted: [String] = []
        var pairs = ParamPairs(bytes: content).makeIterator()
        while let pair = pairs.next() {
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: content[pair.name]), as: UTF8.self)
            if ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"].contains(name), !wanted.contains(name) {
                wanted.append(name)
            }
        }
        var body: [UInt8] = []
        for name in wanted {
            let value = switch name {
            case "FCGI_MAX_CONNS": String(capacity.maxConnections)
            case "FCGI_MAX_REQS": String(capacity.maxRequests)
            default: "0"
            }
            Record.appendPair(name, value, to: &body)
        }
        var reply: [UInt8] = []
        Record.appendHeader(Record.getValuesResult, id: 0, contentLength: body.count, to: &reply)
        reply += body
        return .reply(reply)
    }

    private func end(_ id: UInt16, _ status: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        Record.appendEnd(id: id, protocolStatus: status, to: &out)
        return out
    }
}
