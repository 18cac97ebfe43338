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

    /// A number (nothing to escape), written digit by digit without a String in between.
    public mutating func number<N: BinaryInteger>(_ value: N) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        var power: UInt64 = 1
        while power <= magnitude / 10 { power *= 10 }
        // Most significant digit first, so nothing is reversed (reversing a slice of `bytes`
        // would copy the whole page).
        while power > 0 {
            bytes.append(UInt8(truncatingIfNeeded: magnitude / power % 10) + UInt8(ascii: "0"))
            power /= 10
        }
    }

    /// A non-negative number padded with zeros to `width` digits (`07`).
    public mutating func digits(_ value: Int, _ width: Int) {
        var length = 1, rest = value / 10
        while rest > 0 { length += 1; rest /= 10 }
        for _ in length..<max(width, length) { bytes.append(UInt8(ascii: "0")) }
        number(value)
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
