import CFastCGI

/// The FastCGI 1.0 record format, with the numbers from libfcgi-dev's `fastcgi.h`: an 8-byte
/// header (version, type, request id, content length, padding length, reserved), the content,
/// then the padding.
enum Record {
    static let headerLength = Int(FCGI_HEADER_LEN)
    static let version = UInt8(FCGI_VERSION_1)
    /// The most content one record can carry.
    static let maxContent = Int(FCGI_MAX_LENGTH)

    static let beginRequest = UInt8(FCGI_BEGIN_REQUEST)
    static let abortRequest = UInt8(FCGI_ABORT_REQUEST)
    static let endRequest = UInt8(FCGI_END_REQUEST)
    static let params = UInt8(FCGI_PARAMS)
    static let stdin = UInt8(FCGI_STDIN)
    static let stdout = UInt8(FCGI_STDOUT)
    static let stderr = UInt8(FCGI_STDERR)
    static let data = UInt8(FCGI_DATA)
    static let getValues = UInt8(FCGI_GET_VALUES)
    static let getValuesResult = UInt8(FCGI_GET_VALUES_RESULT)
    static let unknownType = UInt8(FCGI_UNKNOWN_TYPE)

    static let responder = UInt16(FCGI_RESPONDER)
    static let keepConnection = UInt8(FCGI_KEEP_CONN)

    static let requestComplete = UInt8(FCGI_REQUEST_COMPLETE)
    static let cantMultiplex = UInt8(FCGI_CANT_MPX_CONN)
    static let unknownRole = UInt8(FCGI_UNKNOWN_ROLE)

    /// A record type's name for log lines.
    static func name(_ type: UInt8) -> String {
        switch type {
        case beginRequest: return "BEGIN_REQUEST"
        case abortRequest: return "ABORT_REQUEST"
        case endRequest: return "END_REQUEST"
        case params: return "PARAMS"
        case stdin: return "STDIN"
        case stdout: return "STDOUT"
        case stderr: return "STDERR"
        case data: return "DATA"
        case getValues: return "GET_VALUES"
        case getValuesResult: return "GET_VALUES_RESULT"
        case unknownType: return "UNKNOWN_TYPE"
        default: return "type \(type)"
        }
    }

    /// Appends a record header to `out`.
    static func appendHeader(_ type: UInt8, id: UInt16, contentLength: Int, padding: Int = 0, to out: inout [UInt8]) {
        out.append(version)
        out.append(type)
        out.append(UInt8(id >> 8))
        out.append(UInt8(id & 0xFF))
        out.append(UInt8(contentLength >> 8))
        out.append(UInt8(contentLength & 0xFF))
        out.append(UInt8(padding))
        out.append(0)
    }

    /// Appends an `END_REQUEST` record for request `id`.
    static func appendEnd(id: UInt16, appStatus: UInt32 = 0, protocolStatus: UInt8, to out: inout [UInt8]) {
        appendHeader(endRequest, id: id, contentLength: 8, to: &out)
        out.append(UInt8(appStatus >> 24))
        out.append(UInt8((appStatus >> 16) & 0xFF))
        out.append(UInt8((appStatus >> 8) & 0xFF))
        out.append(UInt8(appStatus & 0xFF))
        out.append(protocolStatus)
        out.append(0)
        out.append(0)
        out.append(0)
    }

    /// Appends an `UNKNOWN_TYPE` management record naming `type`.
    static func appendUnknownType(_ type: UInt8, to out: inout [UInt8]) {
        appendHeader(unknownType, id: 0, contentLength: 8, to: &out)
        out.append(type)
        for _ in 0..<7 { out.append(0) }
    }

    /// Appends one name-value pair in the params encoding (1-byte lengths below 128, else 4 bytes
    /// with the high bit set).
    static func appendPair(_ name: String, _ value: String, to out: inout [UInt8]) {
        for length in [name.utf8.count, value.utf8.count] {
            if length < 128 {
                out.append(UInt8(length))
            } else {
                out.append(UInt8((length >> 24) & 0x7F) | 0x80)
                out.append(UInt8((length >> 16) & 0xFF))
                out.append(UInt8((length >> 8) & 0xFF))
                out.append(UInt8(length & 0xFF))
            }
        }
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: value.utf8)
    }
}

/// Name-value pairs in the params encoding, walked in place.
struct ParamPairs: Sequence {
    /// Where one pair's name and value lie in the bytes.
    struct Pair {
        var name: Range<Int>
        var value: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    /// Yields pairs until the bytes end or one is cut short (then `malformed` is set).
    struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        var malformed = false

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// Where the pair that was cut short begins (the end when none was).
        var stoppedAt: Int { offset }

        mutating func next() -> Pair? {
            guard offset < bytes.count else { return nil }
            var at = offset
            guard let nameLength = ParamPairs.length(bytes, &at), let valueLength = ParamPairs.length(bytes, &at),
                  nameLength <= bytes.count - at, valueLength <= bytes.count - at - nameLength else {
                malformed = true
                return nil
            }
            let pair = Pair(name: at..<(at + nameLength), value: (at + nameLength)..<(at + nameLength + valueLength))
            offset = pair.value.upperBound
            return pair
        }
    }

    /// The length encoded at `at` (1 byte below 128, else 4 with the high bit set), moving `at` past it.
    static func length(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) -> Int? {
        guard at < bytes.count else { return nil }
        let first = bytes[at]
        if first < 0x80 {
            at += 1
            return Int(first)
        }
        guard bytes.count - at >= 4 else { return nil }
        let value = Int(first & 0x7F) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        at += 4
        return value
    }
}
