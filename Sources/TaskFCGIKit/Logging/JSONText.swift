/// JSON written by hand, for log lines and API responses: one byte buffer grown in place, fields
/// in the order written (no `Encodable` containers or dictionaries on the request path).
public struct JSONText {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    /// An empty object.
    public init() {}

    /// A string field; nil writes `null`.
    public mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { Self.appendQuoted(value, to: &bytes) } else { raw("null") }
    }
    /// A whole-number field; nil writes `null`.
    public mutating func field(_ name: String, _ value: Int64?) { key(name); raw(value.map { String($0) } ?? "null") }
    /// A whole-number field.
    public mutating func field(_ name: String, _ value: Int) { key(name); raw(String(value)) }
    /// A `true`/`false` field.
    public mutating func field(_ name: String, _ value: Bool) { key(name); raw(value ? "true" : "false") }
    /// A number field; non-finite values (which JSON cannot carry) write `null`.
    public mutating func field(_ name: String, _ value: Double) { key(name); raw(value.isFinite ? String(value) : "null") }
    /// A field whose value is already JSON (a nested object or array).
    public mutating func field(_ name: String, json: String) { key(name); raw(json) }

    /// The closed object.
    public var object: String { String(decoding: bytes + [UInt8(ascii: "}")], as: UTF8.self) }

    /// `[a,b,c]` from values that are already JSON.
    public static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    private mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    private mutating func key(_ name: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        Self.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// `value` as a JSON string.
    public static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        appendQuoted(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as a JSON string: quotes, backslashes and control characters escaped, and
    /// U+2028 and U+2029 too, so the text is also safe inside a JavaScript string. Runs of bytes
    /// that need no escape are copied whole.
    static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            out.append(UInt8(ascii: "\""))
            var runStart = 0, index = 0
            while index < bytes.count {
                let byte = bytes[index]
                let separator = byte == 0xE2 && index + 2 < bytes.count && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9)
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || separator else {
                    index += 1
                    continue
                }
                out.append(contentsOf: bytes[runStart..<index])
                out.append(contentsOf: escape(separator ? (bytes[index + 2] == 0xA8 ? 0x2028 : 0x2029) : UInt32(byte)).utf8)
                index += separator ? 3 : 1
                runStart = index
            }
            out.append(contentsOf: bytes[runStart..<bytes.count])
            out.append(UInt8(ascii: "\""))
        }
    }

    /// The escape for one character that JSON (or JavaScript) cannot carry as itself.
    private static func escape(_ scalar: UInt32) -> String {
        switch scalar {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        default:
            let hex = String(scalar, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}
