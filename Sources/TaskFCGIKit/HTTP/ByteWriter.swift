/// Appends bytes to a buffer the caller sized (no bounds checks beyond the caller's sum).
struct ByteWriter {
    let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    mutating func put(_ literal: StaticString) {
        put(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        (base + count).update(from: start, count: bytes.count)
        count += bytes.count
    }

    /// Counts `length` bytes the caller wrote at `base + count` itself.
    mutating func skip(_ length: Int) { count += length }

    mutating func put(byte: UInt8) {
        base[count] = byte
        count += 1
    }

    /// A whole number in decimal, as `String(value)` writes it (at most 20 bytes).
    mutating func put(decimal value: Int) {
        if value < 0 { put(byte: UInt8(ascii: "-")) }
        var digits = 1, rest = value.magnitude / 10
        while rest > 0 { digits += 1; rest /= 10 }
        var remaining = value.magnitude
        var index = count + digits
        while index > count {
            index -= 1
            base[index] = UInt8(truncatingIfNeeded: remaining % 10) &+ UInt8(ascii: "0")
            remaining /= 10
        }
        count += digits
    }
}
