// Fuzz target "form": `Form(urlEncoded:)`, the decoder for query strings and POSTed forms.
//
// Input: the raw bytes of a query string or body. Checked properties:
// - it either returns a Form or throws an HTTPError with status 400 (nothing else);
// - it agrees with an independent reference decoder (same fields, or both refuse);
// - percent-encoding the decoded fields and decoding again gives the same Form;
// - `subscript` and `count(of:)` agree with `fields`.

@_cdecl("fuzz_form")
public func fuzzForm(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let expected = FuzzFormReference.decode(bytes)
    let form: Form
    do {
        form = try Form(urlEncoded: bytes)
    } catch let error as HTTPError {
        fuzzCheck(error.status == 400, "status \(error.status) for \(fuzzEscaped(bytes))")
        fuzzCheck(expected == nil, "refused (\(error.message)) but the reference decodes \(fuzzEscaped(bytes))")
        return 0
    } catch {
        fuzzFail("threw \(type(of: error)) \(error) for \(fuzzEscaped(bytes))")
    }
    guard let expected else { fuzzFail("decoded \(form.fields) but the reference refuses \(fuzzEscaped(bytes))") }
    fuzzCheck(form.fields.count == expected.count
              && zip(form.fields, expected).allSatisfy { $0.name == $1.0 && $0.value == $1.1 },
              "decoded \(form.fields), reference \(expected) for \(fuzzEscaped(bytes))")

    let encoded = FuzzFormReference.encode(form)
    do {
        let again = try Form(urlEncoded: encoded)
        fuzzCheck(again == form, "re-encoded \(fuzzEscaped(encoded)) decodes to \(again.fields), not \(form.fields)")
    } catch {
        fuzzFail("re-encoded form \(fuzzEscaped(encoded)) is refused: \(error)")
    }

    // `subscript` and `count(of:)` scan all fields, so only a few names are checked (keeps it linear).
    var firstValue: [String: String] = [:], counts: [String: Int] = [:]
    for field in form.fields {
        if firstValue[field.name] == nil { firstValue[field.name] = field.value }
        counts[field.name, default: 0] += 1
    }
    for name in counts.keys.prefix(8) + ["", "title", "due"] {
        fuzzCheck(form[name] == firstValue[name], "subscript \(fuzzEscaped(name.utf8))")
        fuzzCheck(form.count(of: name) == counts[name, default: 0], "count(of: \(fuzzEscaped(name.utf8)))")
    }
    return 0
}

/// A deliberately simple second implementation of the urlencoded format, to compare against.
enum FuzzFormReference {
    /// The fields, or nil when a `%` lacks two hex digits or a part is not UTF-8.
    static func decode(_ bytes: [UInt8]) -> [(String, String)]? {
        var result: [(String, String)] = []
        for piece in fuzzFields(bytes, separator: UInt8(ascii: "&"), maxSplits: Int.max) where !piece.isEmpty {
            let parts = fuzzFields(piece, separator: UInt8(ascii: "="), maxSplits: 1)
            guard let name = unescape(parts[0]) else { return nil }
            guard let value = parts.count > 1 ? unescape(parts[1]) : "" else { return nil }
            result.append((name, value))
        }
        return result
    }

    private static func unescape(_ bytes: [UInt8]) -> String? {
        var out: [UInt8] = []
        var rest = bytes[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                guard rest.count >= 2,
                      let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16),
                      rest.prefix(2).allSatisfy({ isHexDigit($0) }) else { return nil }
                out.append(value)
                rest = rest.dropFirst(2)
            } else {
                out.append(byte)
            }
        }
        return fuzzIsValidUTF8(out) ? String(decoding: out, as: UTF8.self) : nil
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// Encodes every byte but unreserved ones; a space alternates between `+` and `%20`.
    static func encode(_ form: Form) -> [UInt8] {
        var out: [UInt8] = []
        var plus = true
        func escape(_ text: String) {
            for byte in text.utf8 {
                switch byte {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."),
                     UInt8(ascii: "_"), UInt8(ascii: "~"):
                    out.append(byte)
                case 0x20 where plus:
                    out.append(UInt8(ascii: "+"))
                    plus.toggle()
                default:
                    if byte == 0x20 { plus.toggle() }
                    out += Array("%".utf8) + Array(String(byte, radix: 16, uppercase: byte & 1 == 0).utf8).paddedHex
                }
            }
        }
        for (index, field) in form.fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "&")) }
            escape(field.name)
            out.append(UInt8(ascii: "="))
            escape(field.value)
        }
        return out
    }
}

private extension Array where Element == UInt8 {
    /// One hex digit padded to two.
    var paddedHex: [UInt8] { count == 1 ? [UInt8(ascii: "0")] + self : self }
}
