import Foundation
import Testing
@testable import TaskFCGIKit

/// A clock stuck at one instant, for exact log lines.
private struct FixedClock: WallClock {
    let instant: Instant
    func now() -> Instant { instant }
}

/// One log line: `YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL [tag] message`, LEVEL padded to five characters.
private var linePattern: Regex<(Substring, Substring, Substring, Substring, Substring)> {
    #/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (DEBUG|INFO |WARN |ERROR) \[([^\]\n]+)\] ([^\n]*)/#
}

private func lines(_ path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.isEmpty || text.hasSuffix("\n"), "the last line is complete")
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

@Suite struct LogTests {
    @Test func lineFormat() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let clock = FixedClock(instant: utc(2026, 11, 24, 20, 31, 2).adding(.milliseconds(7)))
        let log = try Log(path: path, level: .debug, clock: clock)
        log.debug("db", "opened")
        log.info("main", "started")
        log.warning("job:purgeCompletedTasks", "slow")
        log.error("http", "broken pipe")

        let written = try lines(path)
        #expect(written == [
            "2026-11-24T20:31:02.007Z DEBUG [db] opened",
            "2026-11-24T20:31:02.007Z INFO  [main] started",
            "2026-11-24T20:31:02.007Z WARN  [job:purgeCompletedTasks] slow",
            "2026-11-24T20:31:02.007Z ERROR [http] broken pipe",
        ])
        #expect(written.allSatisfy { $0.wholeMatch(of: linePattern) != nil })
    }

    @Test func realClockLinesMatchTheFormat() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let log = try Log(path: path, level: .info)
        log.info("main", "hello")
        let line = try #require(try lines(path).first)
        let match = try #require(line.wholeMatch(of: linePattern))
        #expect(match.output.2 == "INFO ")
        #expect(match.output.3 == "main")
        #expect(match.output.4 == "hello")
    }

    @Test func timestampsAreUTCToTheMillisecond() {
        #expect(Instant(milliseconds: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Instant(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
        #expect(Instant(milliseconds: utc(2026, 11, 24, 21, 30, 5).milliseconds + 42).description == "2026-11-24T21:30:05.042Z")
        #expect(utc(9999, 12, 31, 23, 59, 59).description == "9999-12-31T23:59:59.000Z")
        #expect(Instant(milliseconds: utc(9999, 12, 31, 23, 59, 59).milliseconds + 1000).description == "10000-01-01T00:00:00.000Z")
        #expect(utc(12, 3, 4).description == "0012-03-04T00:00:00.000Z")
    }

    @Test func levelFiltering() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let log = try Log(path: path, level: .info)
        #expect(!log.enabled(.debug))
        #expect(log.enabled(.info) && log.enabled(.warning) && log.enabled(.error))
        var built = false
        log.debug("t", { built = true; return "hidden" }())
        log.info("t", "shown info")
        log.warning("t", "shown warning")
        log.error("t", "shown error")
        #expect(!built, "a hidden line's message is never built")
        #expect(try lines(path).map { $0.split(separator: "] ").last.map(String.init) ?? "" }
            == ["shown info", "shown warning", "shown error"])

        let quiet = try Log(path: path, level: .error)
        quiet.warning("t", "hidden warning")
        #expect(try lines(path).count == 3)
    }

    @Test func levelNames() {
        #expect(["debug", "info", "warning", "error"].map(LogLevel.init(name:)) == [.debug, .info, .warning, .error])
        #expect(LogLevel(name: "INFO") == nil)
        #expect(LogLevel(name: "warn") == nil)
        #expect(LogLevel.debug < .info && LogLevel.warning < .error)
    }

    @Test func messageNeverSpansLines() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let log = try Log(path: path, level: .info)
        log.info("web", "title \"a\nb\"")
        log.info("web", "forged\r\n2026-01-01T00:00:00.000Z ERROR [main] fake\rend")
        log.info("line\nbreak", "in the tag")
        let written = try lines(path)
        #expect(written.count == 3)
        #expect(written.allSatisfy { $0.wholeMatch(of: linePattern) != nil })
        #expect(written[0].hasSuffix(#"[web] title "a\x0Ab""#))
        #expect(written[1].hasSuffix(#"[web] forged\x0D\x0A2026-01-01T00:00:00.000Z ERROR [main] fake\x0Dend"#))
        #expect(written[2].hasSuffix(#"[line\x0Abreak] in the tag"#))
    }

    @Test func terminalEscapesAreWrittenAsText() {
        #expect(Log.escaped("\u{1B}[2Jclear\u{7F}\u{85}\u{2028}x") == #"\x1B[2Jclear\x7F\x85\u{2028}x"#)
        #expect(Log.escaped("plain ünïcödé ✓") == "plain ünïcödé ✓")
    }

    @Test func concurrentWritersNeverInterleave() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let log = try Log(path: path, level: .info)
        let threads = 8, perThread = 500
        let padding = String(repeating: "x", count: 200)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in 0..<perThread { log.info("t\(thread)", "line \(index) \(padding)") }
        }
        let written = try lines(path)
        #expect(written.count == threads * perThread)
        let malformed = written.filter { $0.wholeMatch(of: linePattern) == nil }
        #expect(malformed.isEmpty, "\(malformed.prefix(3))")
        let unique = Set(written.map { $0.split(separator: " ", maxSplits: 2)[2] })
        #expect(unique.count == threads * perThread)
    }

    @Test func concurrentWritersFromTwoLogsOnOneFile() throws {
        // Both halves of the worker append to one file: O_APPEND keeps their lines whole.
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let logs = [try Log(path: path, level: .info), try Log(path: path, level: .info)]
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<250 { logs[thread % 2].info("t\(thread)", "line \(index)") }
        }
        let written = try lines(path)
        #expect(written.count == 1000)
        #expect(written.allSatisfy { $0.wholeMatch(of: linePattern) != nil })
    }

    @Test func reopenAfterRenameWritesToTheNewFile() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/taskfcgi.log"
        let rotated = folder + "/taskfcgi.log.1"
        let log = try Log(path: path, level: .info)
        log.info("main", "before rotation")
        try FileManager.default.moveItem(atPath: path, toPath: rotated)
        log.info("main", "after the move, before reopen")
        #expect(log.reopen(reason: "SIGHUP") == nil)
        log.info("main", "after reopen")

        let old = try lines(rotated)
        #expect(old.count == 2)
        #expect(old[0].hasSuffix("[main] before rotation"))
        #expect(old[1].hasSuffix("[main] after the move, before reopen"))

        let new = try lines(path)
        #expect(new.count == 2)
        #expect(new[0].hasSuffix("[log] reopened \(path) (SIGHUP)"))
        #expect(new[1].hasSuffix("[main] after reopen"))
    }

    @Test func failedReopenKeepsTheOldFile() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: false)
        let path = folder + "/logs/taskfcgi.log"
        let log = try Log(path: path, level: .info)
        try FileManager.default.moveItem(atPath: folder + "/logs", toPath: folder + "/moved")
        let failure = log.reopen(reason: "test")
        #expect(failure?.contains(path) == true)
        log.info("main", "still logging")
        #expect(try lines(folder + "/moved/taskfcgi.log").last?.hasSuffix("[main] still logging") == true)
    }

    @Test func openFailureNamesThePath() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let path = folder + "/missing/taskfcgi.log"
        let error = try #require(throws: Log.OpenError.self) { try Log(path: path, level: .info) }
        #expect(error.description.contains(path))
    }
}
