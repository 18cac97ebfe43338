/// Writes a response as FastCGI records: `Status:`, the headers and `Content-Length` formatted
/// straight into the output buffer (no Strings or arrays per request), then the body, in `STDOUT`
/// records of at most 65,535 bytes, the empty `STDOUT` that ends the stream, and `END_REQUEST`.
enum ResponseHead {
    /// Appends the records of `response` to request `id` to `output`.
    static func append(_ response: Response, id: UInt16, omitBody: Bool, to output: inout [UInt8]) {
        var reason = Status.reason(response.status)
        // "Status: " + number + " " + reason + CRLF, "Content-Length: " + number + CRLF CRLF: 31
        // bytes of text, up to 20 per number.
        var size = 71 + reason.utf8.count
        for header in response.headers { size += header.name.utf8.count + header.value.utf8.count + 4 }
        var stream = RecordStream(id: id, output: output)
        output = []
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { buffer in
            var out = ByteWriter(buffer.baseAddress!)
            out.put("Status: ")
            out.put(decimal: response.status)
            out.put(" ")
            reason.withUTF8 { out.put($0) }
            out.put("\r\n")
            for header in response.headers {
                var (name, value) = header
                name.withUTF8 { out.put($0) }
                out.put(": ")
                value.withUTF8 { out.put($0) }
                out.put("\r\n")
            }
            out.put("Content-Length: ")
            out.put(decimal: response.body.count)
            out.put("\r\n\r\n")
            stream.append(UnsafeRawBufferPointer(start: buffer.baseAddress, count: out.count))
        }
        if !omitBody { response.body.withUnsafeBytes { stream.append($0) } }
        output = stream.finish()
    }
}

/// One request's `STDOUT` stream being written: bytes fill the open record up to the record size
/// limit, and its header's length is set when it is closed.
struct RecordStream {
    private let id: UInt16
    private var output: [UInt8]
    /// Where the open record's header starts; nil when none is open.
    private var open: Int?

    init(id: UInt16, output: [UInt8]) { (self.id, self.output) = (id, output) }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let start = open ?? openRecord()
            let room = Record.maxContent - (output.count - start - Record.headerLength)
            if room == 0 {
                close()
                continue
            }
            let take = min(room, bytes.count - offset)
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            offset += take
        }
    }

    /// The output with the stream ended and `END_REQUEST` after it.
    mutating func finish() -> [UInt8] {
        close()
        Record.appendHeader(Record.stdout, id: id, contentLength: 0, to: &output)
        Record.appendEnd(id: id, protocolStatus: Record.requestComplete, to: &output)
        return output
    }

    private mutating func openRecord() -> Int {
        let start = output.count
        Record.appendHeader(Record.stdout, id: id, contentLength: 0, to: &output)
        open = start
        return start
    }

    private mutating func close() {
        guard let start = open else { return }
        let length = output.count - start - Record.headerLength
        output[start + 4] = UInt8(length >> 8)
        output[start + 5] = UInt8(length & 0xFF)
        open = nil
    }
}
