import Testing
@testable import TaskFCGIKit

@Suite struct JSON5ReaderTests {
    private func parse(_ text: String) throws -> JSONValue { try JSON5Reader.parse(Array(text.utf8)) }

    private func syntaxError(_ bytes: [UInt8]) -> JSON5Reader.SyntaxError? {
        do { _ = try JSON5Reader.parse(bytes); return nil } catch { return error as? JSON5Reader.SyntaxError }
    }

    @Test func readsJSON5() throws {
        let value = try parse("""
            // a comment
            { unquoted: 'single', "quoted": "a\\"b\\u00e9\\ud83d\\ude00", /* block */ list: [1, -2, 3.5, 1e3, true, false, null,],
              nested: { deep: +7 }, }
            """)
        #expect(value == .object([
            "unquoted": .string("single"), "quoted": .string("a\"bé😀"),
            "list": .array([.integer(1), .integer(-2), .number(3.5), .number(1000), .bool(true), .bool(false), .null]),
            "nested": .object(["deep": .integer(7)]),
        ]))
    }

    @Test func errorsGiveLineAndColumn() {
        let error = syntaxError(Array("{\n  a: 1\n  b: 2\n}".utf8))
        #expect(error?.line == 3)
        #expect(error?.column == 3)
        #expect(error?.description.contains("expected \",\" or \"}\"") == true)
    }

    // Inputs on which Foundation's JSON5 decoder trapped (found by Fuzz/run.sh): each must be a
    // clear error, never a crash or a silently truncated number.
    @Test(arguments: [
        [0x7B, 0xF8, 0x80, 0x80, 0x80, 0x80],
        Array(#"{"threads": 0x0x}"#.utf8),
        Array(#"{"maxBodyBytes": 99999999999999999999e+}"#.utf8),
        Array("99999999999999999999".utf8),
        Array(#"{"threads": 7.9e-}"#.utf8),
        Array(#"{"threads": 1e+x}"#.utf8),
    ] as [[UInt8]])
    func fuzzFindingsAreErrors(_ bytes: [UInt8]) {
        #expect(syntaxError(bytes) != nil)
    }

    @Test func refusesDuplicateKeysDeepNestingAndJunk() {
        #expect(syntaxError(Array(#"{"a": 1, "a": 2}"#.utf8))?.problem.contains("twice") == true)
        #expect(syntaxError(Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)) != nil)
        #expect(syntaxError(Array("{} x".utf8)) != nil)
        #expect(syntaxError(Array("{a: 'unterminated}".utf8)) != nil)
        #expect(syntaxError(Array("/* open".utf8)) != nil)
        #expect(syntaxError(Array("{a: yes}".utf8))?.problem.contains("strings need quotes") == true)
    }

    @Test func wholeNumbersStayExact() throws {
        #expect(try parse("9223372036854775807") == .integer(Int64.max))
        #expect(syntaxError(Array("9223372036854775808".utf8)) != nil)
    }
}
