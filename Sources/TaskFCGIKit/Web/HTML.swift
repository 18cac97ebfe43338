/// Builds a page into one byte buffer. `raw` takes only string literals (our markup); every
/// dynamic value goes through `text`, which escapes it, so no input can inject markup.
/// Non-copyable: it owns its buffer, so an append is a bounds check and a memcpy.
public struct HTML: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    /// `capacity`: the default holds a list page of 50 rows (about 16 KB) without growing.
    public init(capacity: Int = 16 * 1024) {
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
        reserve(length)
        copyBytes(from: source, to: base + count, length)
        count += length
    }

    /// Makes room for `length` more bytes.
    @inline(__always)
    private mutating func reserve(_ length: Int) {
        if count + length > capacity { grow(to: count + length) }
    }

    private mutating func grow(to needed: Int) {
        let grown = max(capacity * 2, needed)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.update(from: base, count: count)
        base.deallocate()
        (base, capacity) = (larger, grown)
    }

    /// Markup written in this codebase.
    public mutating func raw(_ markup: StaticString) {
        append(markup.utf8Start, markup.utf8CodeUnitCount)
    }

    /// A dynamic value, escaped for text and for quoted attribute values: only the five special
    /// characters (and NUL) are replaced. Room for the worst case (every byte a six-byte `&quot;`)
    /// is made once, then each byte is written straight into the page, with no call per run.
    public mutating func text(_ value: String) {
        var value = value
        value.withUTF8 { source in
            reserve(6 * source.count)
            var out = base + count
            for byte in source {
                if Self.isSpecial(byte) {
                    let replacement = Self.replacement(byte)
                    copyBytes(from: replacement.utf8Start, to: out, replacement.utf8CodeUnitCount)
                    out += replacement.utf8CodeUnitCount
                } else {
                    out.pointee = byte
                    out += 1
                }
            }
            count = out - base
        }
    }

    /// NUL " & ' < > as bits of one word: the test per byte is a shift, not a branch per character.
    private static let specialBits: UInt64 = 1 << 0 | 1 << 0x22 | 1 << 0x26 | 1 << 0x27 | 1 << 0x3C | 1 << 0x3E

    @inline(__always)
    static func isSpecial(_ byte: UInt8) -> Bool {
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

/// Copies `length` bytes. Pages are built from many pieces of a few bytes (tags, escapes, parts
/// of dates), where calling `memcpy` costs more than the copy: those are copied here.
@inline(__always)
func copyBytes(from source: UnsafeRawPointer, to target: UnsafeMutablePointer<UInt8>, _ length: Int) {
    if length <= 16 {
        for offset in 0..<length { target[offset] = source.load(fromByteOffset: offset, as: UInt8.self) }
    } else {
        UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: length)
    }
}
