/// JSON written by hand, for log lines and API responses: one `String` grown in place, fields in
/// the order written (no `Encodable` containers or dictionaries on the request path).
public struct JSONText {
    public private(set) var text = "{"
    private var empty = true

    public init() {}

    /// A string field; nil writes `null`.
    public mutating func field(_ name: String, _ value: String?) { key(name); text += value.map(Self.quoted) ?? "null" }
    public mutating func field(_ name: String, _ value: Int64?) { key(name); text += value.map { String($0) } ?? "null" }
    public mutating func field(_ name: String, _ value: Int) { key(name); text += String(value) }
    public mutating func field(_ name: String, _ value: Bool) { key(name); text += value ? "true" : "false" }
    /// A number field; non-finite values (which JSON cannot carry) write `null`.
    public mutating func field(_ name: String, _ value: Double) { key(name); text += value.isFinite ? String(value) : "null" }
    /// A field whose value is already JSON (a nested object or array).
    public mutating func field(_ name: String, json: String) { key(name); text += json }

    /// The closed object.
    public var object: String { text + "}" }

    /// `[a,b,c]` from values that are already JSON.
    public static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    private mutating func key(_ name: String) {
        if !empty { text += "," }
        empty = false
        text += Self.quoted(name) + ":"
    }

    /// `value` as a JSON string: quotes, backslashes and control characters escaped, and U+2028
    /// and U+2029 too, so the text is also safe inside a JavaScript string.
    public static func quoted(_ value: String) -> String {
        func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || scalar == "\"" || scalar == "\\" || scalar.value == 0x2028 || scalar.value == 0x2029
        }
        guard value.unicodeScalars.contains(where: needsEscape) else { return "\"" + value + "\"" }
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if needsEscape(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
