/// Builds a page into one byte buffer. `raw` takes only string literals (our markup); every
/// dynamic value goes through `text`, which escapes it, so no input can inject markup.
/// Non-copyable: it owns its buffer, so an append is a bounds check and a memcpy.
public struct HTML: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The page so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    private mutating func append(_ source: UnsafeRawPointer, _ length: Int) {
        if count + length > capacity {
            let grown = max(capacity * 2, count + length)
            let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            larger.update(from: base, count: count)
            base.deallocate()
            (base, capacity) = (larger, grown)
        }
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: length)
        count += length
    }

    /// Markup written in this codebase.
    public mutating func raw(_ markup: StaticString) {
        append(markup.utf8Start, markup.utf8CodeUnitCount)
    }

    /// A dynamic value, escaped for text and for quoted attribute values. Runs of ordinary
    /// bytes are copied in one go; only the five special characters (and NUL) are replaced.
    public mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { source in
            var run = 0
            for index in source.indices {
                let replacement: StaticString
                switch source[index] {
                case UInt8(ascii: "&"): replacement = "&amp;"
                case UInt8(ascii: "<"): replacement = "&lt;"
                case UInt8(ascii: ">"): replacement = "&gt;"
                case UInt8(ascii: "\""): replacement = "&quot;"
                case UInt8(ascii: "'"): replacement = "&#39;"
                case 0: replacement = "\u{FFFD}" // NUL is not allowed in HTML text
                default: continue
                }
                if index > run { append(source.baseAddress! + run, index - run) }
                raw(replacement)
                run = index + 1
            }
            if source.count > run { append(source.baseAddress! + run, source.count - run) }
        }
    }

    /// A number (nothing to escape), formatted on the stack and appended in one go.
    public mutating func number<N: BinaryInteger>(_ value: N) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: magnitude % 10) + UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            append(buffer.baseAddress! + start, buffer.count - start)
        }
    }

    /// Bytes already known to be safe markup (formatted by this codebase).
    mutating func append(_ markup: UnsafeBufferPointer<UInt8>) {
        if let start = markup.baseAddress { append(start, markup.count) }
    }


    /// Escapes `value` on its own (for tests and small fragments).
    public static func escape(_ value: String) -> String {
        var html = HTML(capacity: value.utf8.count + 16)
        html.text(value)
        return String(decoding: html.bytes, as: UTF8.self)
    }
}
