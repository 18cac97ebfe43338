// Shared helpers for the libFuzzer entry points in this folder. These files are compiled into the
// TaskFCGIKit module itself (see Fuzz/run.sh), so internal API such as `Config.parse` is visible.
// Nothing here is part of the app: SwiftPM never sees this folder.
import Glibc

/// The fuzzer's input as an array (libFuzzer may pass a null pointer for the empty input).
func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Reports a broken property on stderr and aborts, which libFuzzer records as a crash and saves
/// the input under the artifact prefix.
func fuzzFail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let text = "\n==FUZZ CHECK FAILED== \(file):\(line): \(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    abort()
}

/// `fuzzFail` unless `condition` holds; the message is built only on failure.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fuzzFail(message(), file: file, line: line) }
}

/// A byte string for messages: printable ASCII as is, the rest as \xNN.
func fuzzEscaped(_ bytes: some Sequence<UInt8>) -> String {
    var out = "\""
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(byte))
        case 0x20..<0x7F: out.unicodeScalars.append(UnicodeScalar(byte))
        default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return out + "\""
}

/// True when `bytes` is well-formed UTF-8, checked without `String(validating:)` (which the code
/// under test uses): lossy decoding changes exactly the ill-formed inputs.
func fuzzIsValidUTF8(_ bytes: [UInt8]) -> Bool {
    Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
}

/// Splits `bytes` at each `separator`, at most `maxSplits` times, keeping empty pieces.
func fuzzFields(_ bytes: [UInt8], separator: UInt8, maxSplits: Int) -> [[UInt8]] {
    bytes.split(separator: separator, maxSplits: maxSplits, omittingEmptySubsequences: false).map(Array.init)
}
