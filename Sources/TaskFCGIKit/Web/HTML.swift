/// Builds a page into one byte buffer. `raw` takes only string literals (our markup); every
/// dynamic value goes through `text`, which escapes it, so no input can inject markup.
public struct HTML {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    /// Markup written in this codebase.
    public mutating func raw(_ markup: StaticString) {
        markup.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A dynamic value, escaped for text and for quoted attribute values.
    public mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { source in
            for byte in source {
                switch byte {
                case UInt8(ascii: "&"): append("&amp;")
                case UInt8(ascii: "<"): append("&lt;")
                case UInt8(ascii: ">"): append("&gt;")
                case UInt8(ascii: "\""): append("&quot;")
                case UInt8(ascii: "'"): append("&#39;")
                case 0: append("\u{FFFD}") // NUL is not allowed in HTML text
                default: bytes.append(byte)
                }
            }
        }
    }

    /// A number (nothing to escape).
    public mutating func number<N: BinaryInteger>(_ value: N) {
        append(String(value))
    }

    private mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    /// Escapes `value` on its own (for tests and small fragments).
    public static func escape(_ value: String) -> String {
        var html = HTML(capacity: value.utf8.count + 16)
        html.text(value)
        return String(decoding: html.bytes, as: UTF8.self)
    }
}
