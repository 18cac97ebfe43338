import Foundation
import Testing
@testable import TaskFCGIKit

/// A fresh folder under the system temp dir, unique to one test (tests run in parallel).
/// The path is canonical (symlinks resolved), so it compares equal to the paths `Config` builds.
func makeTempFolder(_ label: String = #function) throws -> String {
    let base = FileManager.default.temporaryDirectory.path
    let name = "taskfcgi-tests-" + label.filter { $0.isLetter || $0.isNumber } + "-" + UUID().uuidString
    let path = (base as NSString).appendingPathComponent(name)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    guard let real = realpath(path, nil) else { return path }
    defer { free(real) }
    return String(cString: real)
}

/// Removes a folder made by `makeTempFolder`; failures are ignored.
func removeFolder(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Polls `condition` every `every` until it holds or `deadline` passes; returns whether it held.
/// Used instead of fixed sleeps wherever a test waits for the job thread.
func poll(deadline seconds: Double = 3, every milliseconds: UInt32 = 20,
          _ condition: () throws -> Bool) rethrows -> Bool {
    let end = monotonicMicroseconds() + Int64(seconds * 1_000_000)
    while true {
        if try condition() { return true }
        if monotonicMicroseconds() >= end { return false }
        usleep(milliseconds * 1000)
    }
}

/// A migrated task store on a new connection to a SQLite file.
func openStore(_ path: String, now: Instant = Instant(milliseconds: 0)) throws -> SQLiteTaskStore {
    let db = try Connection(location: path)
    try Schema.migrate(db, now: now)
    return SQLiteTaskStore(db)
}

/// The instant for a UTC wall-clock reading, for readable test data.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Instant {
    Instant(milliseconds: CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        .secondsAsIfUTC * 1000)
}
