import Foundation
import Testing
@testable import TaskFCGIKit

/// The access line is formatted on the stack (`AccessLine`), apart from the generic log line
/// (`Log.write`): both must make the same bytes, escapes included.
@Suite struct AccessLineTests {
    /// The line as `Log.write` makes it from Strings.
    private func expected(_ method: String, _ target: String, _ status: Int, _ bytes: Int, _ micros: Int64,
                          _ gone: Bool, _ time: Instant) -> String {
        let message = "\(method) \(target) \(status) \(bytes) \(JobRunner.milliseconds(micros)) ms\(gone ? " (client went away)" : "")"
        return "\(time) INFO  \(Log.escaped("[http] \(message)"))\n"
    }

    private func formatted(_ method: String, _ target: String, _ status: Int, _ bytes: Int, _ micros: Int64,
                           _ gone: Bool, _ time: Instant) -> String {
        var line = ""
        AccessLine.write(method: method, target: target, status: status, bytes: bytes, microseconds: micros,
                         clientGone: gone, at: time) { line = String(decoding: $0, as: UTF8.self) }
        return line
    }

    @Test(arguments: [
        ("GET", "/tasks"),
        ("POST", "/tasks?status=all&page=2"),
        ("GET", "/tasks/\u{0}\u{1}\n\r\t\u{7F}"),
        ("GET", "/caf\u{E9}/\u{85}\u{9F}\u{A0}/\u{2028}\u{2029}\u{2027}\u{202A}"),
        ("G\u{1B}[31mET", "/x\u{FFFD}\u{1F600}"),
        ("", ""),
    ])
    func sameBytesAsTheGenericLine(method: String, target: String) {
        for (micros, gone) in [(Int64(0), false), (42, true), (999, false), (1000, false), (13_456, true), (98_765_432, false)] {
            for millis: Int64 in [0, 1_764_500_000_123, -86_400_001, 253_402_300_799_999, 253_402_300_800_000] {
                let time = Instant(milliseconds: millis)
                for (status, bytes) in [(303, 15_678), (200, 0), (-5, Int.max), (Int.min, 7)] {
                    #expect(formatted(method, target, status, bytes, micros, gone, time)
                            == expected(method, target, status, bytes, micros, gone, time))
                }
            }
        }
    }

    @Test func timestampsMatchTheCalendar() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for millis: Int64 in [0, 951_782_400_000, 1_709_208_000_999, 4_107_542_399_500, -1] {
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            #expect(Instant(milliseconds: millis).description == formatter.string(from: date))
        }
    }

    @Test func validatedUTF8() {
        let cases: [([UInt8], String?)] = [
            (Array("plain".utf8), "plain"), ([], ""), (Array("é€😀".utf8), "é€😀"),
            ([0xC3], nil), ([0xE2, 0x82], nil), ([0xED, 0xA0, 0x80], nil), ([0xFF], nil), ([0xEF, 0xBF, 0xBD], "\u{FFFD}"),
        ]
        for (bytes, text) in cases {
            #expect(bytes.withUnsafeBufferPointer { UTF8Text.validated($0) } == text)
        }
    }
}
