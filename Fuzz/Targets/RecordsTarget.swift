// Fuzz target "records": the FastCGI record layer, `RequestReader`, then `RequestParams.read`
// on every request it delivers.
//
// Input: byte 1 seeds the sizes of the pieces the rest is fed in (as reads would split it); the
// rest is what a peer sends on one connection.
// Checked properties:
// - the events (requests, replies, the failure) are the same whether the stream is fed whole or
//   in pieces, and nothing follows a failure;
// - no request keeps more params or body than the limits, and a request past a limit carries
//   its refusal;
// - every reply is whole records of a type the application sends, with version 1;
// - `RequestParams.read` either fills a request or throws an `HTTPError`.
import Glibc

private let fuzzLimits = RequestReader.Limits(maxParamsBytes: 4096, maxParams: 64, maxBodyBytes: 2048)
private let quietLog = try! Log(path: "/dev/null", level: .error, format: .text, clock: SystemClock())

@_cdecl("fuzz_records")
public func fuzzRecords(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    guard let seed = input.first else { return 0 }
    let stream = Array(input.dropFirst())
    let whole = feedRecords(stream, seed: nil)
    let pieces = feedRecords(stream, seed: seed)
    fuzzCheck(whole == pieces, "fed whole: \(whole)\nfed in pieces (seed \(seed)): \(pieces)\ninput: \(fuzzEscaped(input))")
    return 0
}

/// The events as text, feeding `stream` whole (`seed` nil) or in pieces of pseudo-random sizes.
private func feedRecords(_ stream: [UInt8], seed: UInt8?) -> [String] {
    var reader = RequestReader(limits: fuzzLimits, capacity: .init(maxConnections: 8, maxRequests: 8))
    var events: [String] = []
    var pending: [UInt8] = []
    var offset = 0
    var state = UInt32(seed ?? 0) &* 2_654_435_761 | 1
    while offset < stream.count {
        var size = stream.count - offset
        if seed != nil {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            size = min(size, Int(state % 40) + 1)
        }
        pending += stream[offset..<(offset + size)]
        offset += size
        while true {
            let (event, consumed) = pending.withUnsafeBytes { reader.next($0) }
            fuzzCheck(consumed <= pending.count, "consumed \(consumed) of \(pending.count)")
            pending.removeFirst(consumed)
            guard let event else { break }
            switch event {
            case .failure(let reason):
                events.append("failure: \(reason)")
                return events
            case .reply(let bytes):
                checkReply(bytes)
                events.append("reply \(bytes)")
            case .request(let request):
                fuzzCheck(request.params.count <= fuzzLimits.maxParamsBytes, "kept \(request.params.count) params bytes")
                fuzzCheck(request.body.count <= fuzzLimits.maxBodyBytes, "kept \(request.body.count) body bytes")
                fuzzCheck(request.pairs.count <= fuzzLimits.maxParams + 1, "kept \(request.pairs.count) pairs")
                events.append("request \(request.id) \(request.keepConnection) \(request.params) \(request.body) \(String(describing: request.refusal)) \(handled(request))")
            }
        }
    }
    return events
}

/// Replies are whole records of types only the application sends.
private func checkReply(_ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        fuzzCheck(bytes.count - offset >= 8, "a reply ends inside a header: \(bytes)")
        fuzzCheck(bytes[offset] == 1, "a reply of version \(bytes[offset])")
        fuzzCheck([3, 10, 11].contains(bytes[offset + 1]), "a reply record of type \(bytes[offset + 1])")
        offset += 8 + (Int(bytes[offset + 4]) << 8 | Int(bytes[offset + 5])) + Int(bytes[offset + 6])
    }
    fuzzCheck(offset == bytes.count, "a reply's records overrun it: \(bytes)")
}

/// What `RequestParams.read` makes of a request.
private func handled(_ raw: FastCGIRequest) -> String {
    var request = Request(method: "?", path: "?")
    do {
        try RequestParams.read(raw, limits: .init(maxBodyBytes: fuzzLimits.maxBodyBytes), into: &request, log: quietLog)
        return "\(request.method) \(request.target) \(request.headers.count)"
    } catch let error as HTTPError {
        return "HTTP \(error.status)"
    } catch {
        fuzzFail("RequestParams.read threw \(error)")
    }
}
