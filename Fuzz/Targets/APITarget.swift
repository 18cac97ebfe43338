// Fuzz target "api": what the JSON API does with a body before any handler logic, and its
// instants: `JSONInput.object(from:)` (Foundation's JSONDecoder on hostile bytes) and `RFC3339.parse`.
//
// Input: one selector byte, then the body. The selector's low bit picks the content type
// (0 application/json, 1 text/plain); the body is also read as an RFC 3339 text.
// Checked properties:
// - reading the body never traps and throws only an HTTPError: 415 for the wrong type, else 400
//   (not JSON) or 422 (JSON but not an object); an object comes back only for application/json;
// - an accepted instant lies in the years 0000–9999 (UTC) and is written back (UTC, milliseconds)
//   as text that parses to the same instant.

@_cdecl("fuzz_api")
public func fuzzAPI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let body = Array(bytes.dropFirst())
    let json = selector & 1 == 0
    let request = Request(method: "POST", path: "/api/tasks",
                          headers: ["content-type": json ? "application/json; charset=utf-8" : "text/plain"], body: body)
    let context = fuzzEscaped(bytes)
    do {
        _ = try JSONInput.object(from: request)
        fuzzCheck(json, "an object read from a text/plain body: \(context)")
    } catch let error as HTTPError {
        fuzzCheck(json ? [400, 422].contains(error.status) : error.status == 415, "status \(error.status) for \(context)")
        fuzzCheck(!error.message.isEmpty, "empty message for \(context)")
    } catch {
        fuzzFail("JSONInput.object threw \(error) for \(context)")
    }

    if let instant = RFC3339.parse(String(decoding: body, as: UTF8.self)) {
        let written = instant.description
        fuzzCheck(RFC3339.parse(written) == instant, "\(context): written as \(written), which does not parse back")
        fuzzCheck(RFC3339.range.contains(instant.milliseconds), "\(context): \(instant.milliseconds) ms is outside the years 0000–9999")
    }
    return 0
}
