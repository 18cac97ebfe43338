import CFastCGI
import Glibc

/// Writes a response to libfcgi's output stream: `Status:`, the headers and `Content-Length`
/// formatted into one buffer on the stack (no Strings or arrays per request), then the body.
enum ResponseHead {
    /// Writes `response`; false if the client went away.
    static func write(_ response: Response, omitBody: Bool, to stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        var reason = Status.reason(response.status)
        // "Status: " + number + " " + reason + CRLF, "Content-Length: " + number + CRLF CRLF: 31
        // bytes of text, up to 20 per number.
        var size = 71 + reason.utf8.count
        for header in response.headers { size += header.name.utf8.count + header.value.utf8.count + 4 }
        let headSent = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { buffer -> Bool in
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
            return put(UnsafeBufferPointer(start: buffer.baseAddress, count: out.count), to: stream)
        }
        // Two writes into libfcgi's buffer rather than joining head and body into a new array.
        let sent = headSent && (omitBody || response.body.withUnsafeBufferPointer { put($0, to: stream) })
        // EPIPE and friends end this request quietly; FCGX_Finish_r cleans up.
        return sent && FCGX_FFlush(stream) == 0
    }

    private static func put(_ bytes: UnsafeBufferPointer<UInt8>, to stream: UnsafeMutablePointer<FCGX_Stream>?) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            FCGX_PutStr($0, Int32(bytes.count), stream)
        } == Int32(bytes.count)
    }
}
