/// The text format's access line, `TIME INFO  [http] METHOD TARGET STATUS BYTES MS ms`, formatted
/// into one buffer on the stack: the same bytes `Log.write` makes from Strings, without the
/// Strings. Method and target are escaped as `Log.escaped` does, byte by byte on their UTF-8.
enum AccessLine {
    static func write(method: String, target: String, status: Int, bytes: Int, microseconds: Int64, clientGone: Bool,
                      at time: Instant, to sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        var method = method, target = target
        // Escaping makes at most 4 bytes of 1 (`\x0A`); 128 covers the fixed text and the numbers.
        let capacity = UTCText.maxLength + 128 + 4 * (method.utf8.count + target.utf8.count)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var out = ByteWriter(buffer.baseAddress!)
            out.skip(UTCText.write(time, to: buffer.baseAddress!))
            out.put(" INFO  [http] ")
            method.withUTF8 { escape($0, into: &out) }
            out.put(byte: UInt8(ascii: " "))
            target.withUTF8 { escape($0, into: &out) }
            out.put(byte: UInt8(ascii: " "))
            out.put(decimal: status)
            out.put(byte: UInt8(ascii: " "))
            out.put(decimal: bytes)
            out.put(byte: UInt8(ascii: " "))
            milliseconds(max(0, microseconds), into: &out)
            out.put(clientGone ? " ms (client went away)\n" : " ms\n")
            sink(UnsafeBufferPointer(start: buffer.baseAddress, count: out.count))
        }
    }

    /// `JobRunner.milliseconds`: `0.042` under a millisecond, else one decimal (`13.4`).
    private static func milliseconds(_ micros: Int64, into out: inout ByteWriter) {
        if micros < 1000 {
            out.put("0.")
            out.put(byte: UInt8(micros / 100) + UInt8(ascii: "0"))
            out.put(byte: UInt8(micros / 10 % 10) + UInt8(ascii: "0"))
            out.put(byte: UInt8(micros % 10) + UInt8(ascii: "0"))
        } else {
            out.put(decimal: Int(micros / 1000))
            out.put(byte: UInt8(ascii: "."))
            out.put(byte: UInt8(micros % 1000 / 100) + UInt8(ascii: "0"))
        }
    }

    /// Copies valid UTF-8, writing C0 controls and DEL as `\xNN`, C1 controls (U+0080–U+009F)
    /// as `\x80`…`\x9F`, and the line and paragraph separators as `\u{2028}`, `\u{2029}`.
    private static func escape(_ text: UnsafeBufferPointer<UInt8>, into out: inout ByteWriter) {
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte < 0x20 || byte == 0x7F {
                hex(byte, into: &out)
            } else if byte == 0xC2, index + 1 < text.count, (0x80...0x9F).contains(text[index + 1]) {
                hex(text[index + 1], into: &out)
                index += 1
            } else if byte == 0xE2, index + 2 < text.count, text[index + 1] == 0x80, text[index + 2] == 0xA8 || text[index + 2] == 0xA9 {
                out.put(text[index + 2] == 0xA8 ? "\\u{2028}" : "\\u{2029}")
                index += 2
            } else {
                out.put(byte: byte)
            }
            index += 1
        }
    }

    private static func hex(_ value: UInt8, into out: inout ByteWriter) {
        let digits: StaticString = "0123456789ABCDEF"
        out.put("\\x")
        out.put(byte: digits.utf8Start[Int(value >> 4)])
        out.put(byte: digits.utf8Start[Int(value & 0xF)])
    }
}
