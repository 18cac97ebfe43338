import Testing
@testable import TaskFCGIKit

@Suite struct HTMLTests {
    private func render(_ build: (inout HTML) -> Void) -> String {
        var html = HTML()
        build(&html)
        return String(decoding: html.bytes, as: UTF8.self)
    }

    @Test(arguments: [0, 7, 10, 42, 1999, -5, Int.max, Int.min])
    func numbersMatchSwiftsOwn(_ value: Int) {
        #expect(render { $0.number(value) } == String(value))
    }

    @Test func textIsEscapedAndRawIsNot() {
        #expect(render { $0.raw("<b>"); $0.text("<i>&\"'"); $0.raw("</b>") } == "<b>&lt;i&gt;&amp;&quot;&#39;</b>")
    }

    @Test func escapingMatchesAPlainReference() {
        func reference(_ text: String) -> String {
            text.unicodeScalars.map { scalar -> String in
                switch scalar {
                case "&": "&amp;"
                case "<": "&lt;"
                case ">": "&gt;"
                case "\"": "&quot;"
                case "'": "&#39;"
                case "\0": "\u{FFFD}"
                default: String(scalar)
                }
            }.joined()
        }
        let everyASCII = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        let cases = ["", "plain", "<script>alert('x')</script>", "a\0b", "é&ü \u{1F600}<>", everyASCII,
                     String(repeating: "<&>", count: 5000)] // longer than the buffer: it grows mid-run
        for text in cases { #expect(HTML.escape(text) == reference(text)) }
    }

    @Test func datesWrittenInPlaceMatchTheDisplayText() throws {
        let berlin = try #require(Zone(identifier: "Europe/Berlin"))
        let winter = Instant(milliseconds: 1_795_552_200_000) // 2026-11-24T20:30:00Z
        #expect(DateText.display(winter, in: berlin) == "Tue 24 Nov 2026, 21:30 CET")
        #expect(render { $0.date(winter.adding(.seconds(5)), in: berlin) } == "Tue 24 Nov 2026, 21:30:05 CET")
        let summer = Instant(milliseconds: 1_782_898_200_000) // 2026-07-01T09:30:00Z
        #expect(DateText.display(summer, in: berlin) == "Wed 1 Jul 2026, 11:30 CEST")
    }
}

@Suite struct DateTextEdgeTests {
    @Test func instantsFarOutsideTheFormStillRender() throws {
        let utc = try #require(Zone(identifier: "UTC"))
        // Rows written outside the app (the sqlite3 shell) may hold any integer.
        #expect(DateText.display(Instant(milliseconds: -62_167_219_200_000 - 86_400_000), in: utc).hasPrefix("Fri 31 Dec -1, 00:00"))
        #expect(DateText.display(Instant(milliseconds: 253_402_300_799_000), in: utc) == "Fri 31 Dec 9999, 23:59:59 UTC")
        #expect(!DateText.display(Instant(milliseconds: Int64.max / 2), in: utc).isEmpty)
    }
}
