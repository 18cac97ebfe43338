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
    public var bytes: [UInt8] {
        // One memcpy; `Array(UnsafeBufferPointer)` copies byte by byte.
        if count == 0 { return [] }
        return Array(unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.baseAddress!.initialize(from: base, count: count)
            initialized = count
        }
    }

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
            guard let start = source.baseAddress else { return }
            var run = 0
            for index in 0..<source.count where Self.isSpecial(start[index]) {
                if index > run { append(start + run, index - run) }
                raw(Self.replacement(start[index]))
                run = index + 1
            }
            if source.count > run { append(start + run, source.count - run) }
        }
    }

    /// NUL " & ' < > as bits of one word: the test per byte is a shift, not a branch per character.
    private static let specialBits: UInt64 = 1 << 0 | 1 << 0x22 | 1 << 0x26 | 1 << 0x27 | 1 << 0x3C | 1 << 0x3E

    @inline(__always)
    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte < 64 && specialBits >> UInt64(byte) & 1 != 0
    }

    private static func replacement(_ byte: UInt8) -> StaticString {
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        case UInt8(ascii: "'"): "&#39;"
        default: "\u{FFFD}" // NUL is not allowed in HTML text
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
