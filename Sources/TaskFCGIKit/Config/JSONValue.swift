/// A parsed JSON5 document, walked by `ConfigReader` so every error can name its key.
enum JSONValue: Equatable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null

    /// "a string", "a number", … for error messages.
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .number: return "a number"
        case .bool: return "true or false"
        case .null: return "null"
        }
    }

    /// The value as a log line shows it: a string as written, anything else as compact JSON-ish text.
    var shown: String {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .number(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.shown).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.keys.sorted().map { "\($0): \(fields[$0]!.shown)" }.joined(separator: ", ") + "}"
        }
    }

    /// Parses JSON5 (comments, trailing commas, unquoted keys); errors carry line and column.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSON5Reader.parse(bytes)
    }
}
