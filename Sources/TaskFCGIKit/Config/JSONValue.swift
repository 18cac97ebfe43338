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

    /// Parses JSON5 (comments, trailing commas, unquoted keys); errors carry line and column.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSON5Reader.parse(bytes)
    }
}
