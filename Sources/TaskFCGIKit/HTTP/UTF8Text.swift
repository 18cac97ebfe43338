import Glibc

/// Text from bytes that must already be UTF-8 (paths, queries, form fields).
enum UTF8Text {
    /// The bytes as a String, or nil if they are not valid UTF-8. `String(validating:as:)` is
    /// generic and looks up type metadata at run time on every call (seven times a request);
    /// decoding repairs invalid input instead, so valid input is exactly what comes back unchanged.
    static func validated(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var text = String(decoding: bytes, as: UTF8.self)
        let same = text.withUTF8 { decoded in
            decoded.count == bytes.count && (bytes.isEmpty || memcmp(decoded.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return same ? text : nil
    }
}
