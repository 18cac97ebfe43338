// Fuzz target "request" (cheap extras): `Request.form()`, `Request.queryParameters()`,
// `TaskCursor`, `CrossOrigin.refusal` and `CrossOrigin.sameOrigin`.
//
// Input: newline-separated fields `method`, `content-type`, `origin`, `host`, `server port`,
// `sec-fetch-site`, then the body (the rest, newlines included; also used as the query string).
// An empty field means the header is absent; a field of just `!` means present but empty.
// Checked properties:
// - `form()` is empty for an empty body, a 415 for any other content type, else the same as
//   `Form(urlEncoded:)`; only HTTPErrors are thrown (the media type is what precedes `;`, without
//   HTTP's optional white space, which is only space and tab, and compared ASCII-case-insensitively);
// - `refusal` follows its documented rules (safe methods pass, `Sec-Fetch-Site` decides when
//   present, then `Origin` versus `Host`);
// - an origin built from an ASCII host itself (`http://` + host) is always the same origin;
// - a body that parses as a list cursor parses back from the cursor's own text.

@_cdecl("fuzz_request")
public func fuzzRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let fields = fuzzFields(fuzzBytes(data, size), separator: UInt8(ascii: "\n"), maxSplits: 6)
    func field(_ index: Int) -> String? {
        guard index < fields.count, !fields[index].isEmpty else { return nil }
        return fields[index] == [UInt8(ascii: "!")] ? "" : String(decoding: fields[index], as: UTF8.self)
    }
    let method = field(0) ?? "POST"
    var headers: [String: String] = [:]
    headers["content-type"] = field(1)
    headers["origin"] = field(2)
    headers["host"] = field(3)
    headers["sec-fetch-site"] = field(5)
    let body = fields.count > 6 ? fields[6] : []
    let request = Request(method: method, path: "/tasks", query: String(decoding: body, as: UTF8.self),
                          headers: headers, serverPort: field(4), body: body)
    let context = fuzzEscaped(fuzzBytes(data, size))

    // form()
    let expected: Result<Form, HTTPError>
    if body.isEmpty {
        expected = .success(Form(fields: []))
    } else if mediaType(headers["content-type"]) != "application/x-www-form-urlencoded" {
        expected = .failure(HTTPError(415, ""))
    } else {
        do { expected = .success(try Form(urlEncoded: body)) } catch let error as HTTPError { expected = .failure(error) }
        catch { fuzzFail("Form(urlEncoded:) threw \(error) for \(context)") }
    }
    do {
        let form = try request.form()
        fuzzCheck(expected == .success(form), "form() gave \(form.fields), expected \(expected) for \(context)")
    } catch let error as HTTPError {
        guard case .failure(let want) = expected, want.status == error.status else {
            fuzzFail("form() threw \(error), expected \(expected) for \(context)")
        }
    } catch {
        fuzzFail("form() threw \(type(of: error)) \(error) for \(context)")
    }
    do { _ = try request.queryParameters() } catch is HTTPError {} catch { fuzzFail("queryParameters() threw \(error)") }

    // A list cursor (`after=`/`before=`) parses back from what it writes.
    if let cursor = TaskCursor(String(decoding: body, as: UTF8.self)) {
        fuzzCheck(TaskCursor(cursor.description) == cursor, "cursor \(cursor) does not parse back for \(context)")
    }

    // refusal
    let refusal = CrossOrigin.refusal(request)
    let allowed: Bool
    if ["GET", "HEAD", "OPTIONS"].contains(method) {
        allowed = true
    } else if let site = headers["sec-fetch-site"] {
        allowed = site == "same-origin" || site == "none"
    } else if let origin = headers["origin"] {
        allowed = CrossOrigin.sameOrigin(origin, host: headers["host"], serverPort: request.serverPort)
    } else {
        allowed = true
    }
    fuzzCheck((refusal == nil) == allowed, "refusal \(refusal ?? "nil") for \(context)")
    if let refusal { fuzzCheck(!refusal.isEmpty, "empty refusal") }

    // sameOrigin
    // Real Host headers are ASCII; other text is compared by grapheme (`range(of: "://")`), so a
    // host starting with a combining mark merges with the "/" before it and the property would not hold.
    if let host = headers["host"], host.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
        for scheme in ["http", "https", "HTTP"] {
            fuzzCheck(CrossOrigin.sameOrigin(scheme + "://" + host, host: host, serverPort: nil) == !host.isEmpty,
                      "\(scheme)://host is not the same origin as host \(fuzzEscaped(host.utf8))")
        }
    }
    if let origin = headers["origin"], !origin.contains("://") {
        fuzzCheck(!CrossOrigin.sameOrigin(origin, host: headers["host"], serverPort: request.serverPort),
                  "origin without a scheme accepted: \(context)")
    }
    return 0
}


/// The media type of a Content-Type value, as the target's reference: the text before the first
/// `;`, without surrounding spaces and tabs, ASCII letters lowercased; other bytes are kept.
private func mediaType(_ contentType: String?) -> String? {
    guard let contentType else { return nil }
    let isOWS: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    let type = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }.drop(while: isOWS)
    let trimmed = type.prefix(type.count - type.reversed().prefix(while: isOWS).count)
    return String(decoding: trimmed.map { (65...90).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
}
