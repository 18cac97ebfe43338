/// Reads the config's JSON5: JSON plus `//` and `/* */` comments, trailing commas, unquoted keys
/// and single-quoted strings. Written here because Foundation's JSON5 mode (Swift 6.3.1) traps on
/// some malformed input, and a bad config must be an error message, never a crash.
struct JSON5Reader {
    /// Where and why the text is not valid.
    struct SyntaxError: Error, CustomStringConvertible {
        let line: Int, column: Int, problem: String
        var description: String { "line \(line), column \(column): \(problem)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    /// Deep nesting is refused rather than risking the stack.
    private var depth = 0

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var reader = JSON5Reader(bytes: bytes)
        guard String(validating: bytes, as: UTF8.self) != nil else { throw reader.fail("the file is not valid UTF-8 text") }
        let value = try reader.value()
        try reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.fail("unexpected text after the end of the document") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ problem: String) -> SyntaxError {
        var line = 1, column = 1
        for byte in bytes[..<min(index, bytes.count)] {
            if byte == 10 { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return SyntaxError(line: line, column: column, problem: problem)
    }

    private mutating func value() throws -> JSONValue {
        try skipSpace()
        guard let byte = current else { throw fail("the document ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): return try nested { try $0.object() }
        case UInt8(ascii: "["): return try nested { try $0.array() }
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default:
            let word = identifier()
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: throw fail(word.isEmpty ? "unexpected character" : "unexpected word \"\(word)\" (strings need quotes)")
            }
        }
    }

    private mutating func nested(_ read: (inout JSON5Reader) throws -> JSONValue) throws -> JSONValue {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw fail("nested too deeply") }
        return try read(&self)
    }

    private mutating func object() throws -> JSONValue {
        index += 1
        var fields: [String: JSONValue] = [:]
        while true {
            try skipSpace()
            guard let byte = current else { throw fail("the document ends inside an object (missing \"}\")") }
            if byte == UInt8(ascii: "}") { index += 1; return .object(fields) }
            let key = byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") ? try string() : identifier()
            guard !key.isEmpty else { throw fail("expected a key") }
            try skipSpace()
            guard current == UInt8(ascii: ":") else { throw fail("expected \":\" after the key \"\(key)\"") }
            index += 1
            guard fields[key] == nil else { throw fail("the key \"\(key)\" appears twice") }
            fields[key] = try value()
            try skipSpace()
            if current == UInt8(ascii: ",") { index += 1 } else if current != UInt8(ascii: "}") {
                throw fail("expected \",\" or \"}\" after the value of \"\(key)\"")
            }
        }
    }

    private mutating func array() throws -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        while true {
            try skipSpace()
            guard let byte = current else { throw fail("the document ends inside an array (missing \"]\")") }
            if byte == UInt8(ascii: "]") { index += 1; return .array(items) }
            items.append(try value())
            try skipSpace()
            if current == UInt8(ascii: ",") { index += 1 } else if current != UInt8(ascii: "]") {
                throw fail("expected \",\" or \"]\"")
            }
        }
    }

    private mutating func identifier() -> String {
        let start = index
        while let byte = current, byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
            || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
            || (index > start && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws -> String {
        let quote = bytes[index]
        index += 1
        var out: [UInt8] = []
        while let byte = current {
            index += 1
            if byte == quote { return String(decoding: out, as: UTF8.self) }
            if byte == 10 || byte == 13 { throw fail("a string runs past the end of the line") }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard let escaped = current else { break }
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "u"): out += Array(String(try unicodeEscape()).utf8)
            default: out.append(escaped) // \" \' \\ \/
            }
        }
        throw fail("the document ends inside a string")
    }

    private mutating func unicodeEscape() throws -> Character {
        var first = try hex4()
        if (0xD800...0xDBFF).contains(first), current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") {
            index += 2
            let second = try hex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw fail("a broken \\u surrogate pair") }
            first = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(first) else { throw fail("\\u escape of an unpaired surrogate") }
        return Character(scalar)
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw fail("\\u needs four hex digits")
        }
        index += 4
        return value
    }

    /// Integers become `.integer` (exactly); anything with a fraction or exponent becomes `.number`.
    private mutating func number() throws -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") { index += 1 }
        func digits() -> Int {
            let from = index
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
            return index - from
        }
        var count = digits()
        var isInteger = true
        if current == UInt8(ascii: ".") { index += 1; count += digits(); isInteger = false }
        guard count > 0 else { throw fail("a number without digits") }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") { index += 1 }
            guard digits() > 0 else { throw fail("a number's exponent has no digits") }
            isInteger = false
        }
        if let byte = current, byte == UInt8(ascii: "_") || byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z") {
            throw fail("unexpected letters in a number")
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger {
            guard let value = Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text) else { throw fail("\(text) is too large") }
            return .integer(value)
        }
        guard let value = Double(text), value.isFinite else { throw fail("\(text) is not a usable number") }
        return .number(value)
    }

    private mutating func skipSpace() throws {
        while let byte = current {
            switch byte {
            case 9, 10, 11, 12, 13, 32: index += 1
            case 0xEF where index + 2 < bytes.count && bytes[index + 1] == 0xBB && bytes[index + 2] == 0xBF: index += 3 // BOM
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/"):
                while let next = current, next != 10 { index += 1 }
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index += 2
                while index + 1 < bytes.count, !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/")) { index += 1 }
                guard index + 1 < bytes.count else { throw fail("a /* comment is never closed") }
                index += 2
            default: return
            }
        }
    }
}
