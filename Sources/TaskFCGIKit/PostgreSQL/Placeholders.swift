/// Our `?` and `?NNN` placeholders as PostgreSQL's `$n`, for SQL written once for both backends
/// (a job's batch, the audit table). Only placeholders in the statement itself are rewritten: a `?`
/// inside a quoted string or identifier, a `--` or (nested) `/* */` comment, or a dollar-quoted
/// string (`$$…$$`, `$tag$…$tag$`) is text and stays as written. Plain Swift, so both builds test it.
enum Placeholders {
    /// `?NNN` → `$NNN`; each bare `?` → the next `$n`.
    static func positional(_ sql: String) -> String {
        let bytes = Array(sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        var next = 1
        var at = 0
        func copy(through end: Int) {
            output.append(contentsOf: bytes[at..<min(end, bytes.count)])
            at = min(end, bytes.count)
        }
        while at < bytes.count {
            let byte = bytes[at]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A doubled quote inside ('it''s') closes and reopens: the same as one string.
                // In an escape string (E'…') a backslash hides the next byte, quote included.
                copy(through: quoteEnd(bytes, from: at, escapes: byte == UInt8(ascii: "'") && isEscapeString(bytes, quoteAt: at)))
            case UInt8(ascii: "-") where at + 1 < bytes.count && bytes[at + 1] == UInt8(ascii: "-"):
                let end = bytes[at...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                copy(through: end)
            case UInt8(ascii: "/") where at + 1 < bytes.count && bytes[at + 1] == UInt8(ascii: "*"):
                copy(through: blockCommentEnd(bytes, from: at))
            case UInt8(ascii: "$"):
                if let tagEnd = dollarTagEnd(bytes, from: at) {
                    let tag = Array(bytes[at...tagEnd])
                    copy(through: closing(tag, in: bytes, after: tagEnd + 1))
                } else {
                    copy(through: at + 1)
                }
            case UInt8(ascii: "?"):
                var end = at + 1
                while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
                output.append(UInt8(ascii: "$"))
                if end == at + 1 {
                    output.append(contentsOf: String(next).utf8)
                    next += 1
                } else {
                    output.append(contentsOf: bytes[(at + 1)..<end])
                }
                at = end
            default:
                output.append(byte)
                at += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Just past the quote that closes the one at `start` (the end of the text if unclosed).
    private static func quoteEnd(_ bytes: [UInt8], from start: Int, escapes: Bool) -> Int {
        var index = start + 1
        while index < bytes.count {
            if escapes, bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
            if bytes[index] == bytes[start] { return index + 1 }
            index += 1
        }
        return bytes.count
    }

    /// Whether the quote at `quoteAt` opens an `E'…'` string: an `E` or `e` right before it that
    /// does not end a longer word (`SOME'…'` is not one).
    private static func isEscapeString(_ bytes: [UInt8], quoteAt: Int) -> Bool {
        guard quoteAt > 0, bytes[quoteAt - 1] | 0x20 == UInt8(ascii: "e") else { return false }
        guard quoteAt > 1 else { return true }
        let before = bytes[quoteAt - 2]
        let word = (before | 0x20) >= UInt8(ascii: "a") && (before | 0x20) <= UInt8(ascii: "z")
            || (before >= UInt8(ascii: "0") && before <= UInt8(ascii: "9")) || before == UInt8(ascii: "_") || before >= 0x80
        return !word
    }

    /// Just past the `*/` that closes the comment opened at `start` (PostgreSQL nests them).
    private static func blockCommentEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "/"), bytes[index + 1] == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*"), bytes[index + 1] == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return bytes.count
    }

    /// The index of the `$` closing a dollar-quote tag opened at `start` (`$$` or `$name$`, the
    /// name a letter or `_` then letters, digits or `_`); nil when `$` starts no tag (`$1`).
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "$") { return index }
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_") || byte >= 0x80
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard letter || (digit && index > start + 1) else { return nil }
            index += 1
        }
        return nil
    }

    /// Just past the next occurrence of `tag` from `from` (the end of the text if unclosed).
    private static func closing(_ tag: [UInt8], in bytes: [UInt8], after from: Int) -> Int {
        var index = from
        while index + tag.count <= bytes.count {
            if bytes[index] == tag[0], Array(bytes[index..<(index + tag.count)]) == tag { return index + tag.count }
            index += 1
        }
        return bytes.count
    }
}
