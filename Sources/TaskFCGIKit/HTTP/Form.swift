/// Fields of a query string or urlencoded body, in order; repeated names are kept.
public struct Form: Sendable, Equatable {
    public var fields: [(name: String, value: String)]

    public init(fields: [(name: String, value: String)]) { self.fields = fields }

    /// The first value of `name`.
    public subscript(name: String) -> String? { fields.first { $0.name == name }?.value }

    /// How many times `name` occurs.
    public func count(of name: String) -> Int { fields.reduce(0) { $0 + ($1.name == name ? 1 : 0) } }

    /// Decodes `a=1&b=x+y%21`: `+` is a space, `%XX` a byte; the result must be valid UTF-8.
    /// Pairs are found by index, so the only allocations are the fields and their Strings.
    public init(urlEncoded bytes: [UInt8]) throws {
        var fields: [(String, String)] = []
        fields.reserveCapacity(4) // a task form has two fields: one allocation, not one per growth
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            if end > start {
                let pair = bytes[start..<end]
                let equals = pair.firstIndex(of: UInt8(ascii: "="))
                let name = try Form.decode(pair[..<(equals ?? pair.endIndex)])
                let value = try equals.map { try Form.decode(pair[pair.index(after: $0)...]) } ?? ""
                fields.append((name, value))
            }
            start = end + 1
        }
        self.fields = fields
    }

    public static func == (a: Form, b: Form) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Percent-decodes one name or value (on the stack: the String is the only allocation); `+` is
    /// a space in forms and queries, but not in a path.
    static func decode(_ encoded: ArraySlice<UInt8>, plusIsSpace: Bool = true) throws -> String {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(encoded.count, 1)) { bytes in
            var count = 0
            var index = encoded.startIndex
            while index < encoded.endIndex {
                let byte = encoded[index]
                switch byte {
                case UInt8(ascii: "+") where plusIsSpace:
                    bytes[count] = UInt8(ascii: " ")
                case UInt8(ascii: "%"):
                    guard index + 2 < encoded.endIndex, let high = hex(encoded[index + 1]), let low = hex(encoded[index + 2]) else {
                        throw HTTPError(400, "The request has a broken percent escape (a % not followed by two hex digits).")
                    }
                    bytes[count] = high << 4 | low
                    index += 2
                default:
                    bytes[count] = byte
                }
                count += 1
                index += 1
            }
            guard let text = UTF8Text.validated(UnsafeBufferPointer(rebasing: bytes[..<count])) else {
                throw HTTPError(400, "The request is not valid UTF-8 text.")
            }
            return text
        }
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
