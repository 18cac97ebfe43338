import Foundation

/// What a `PostLoad` saw, checked against what the database kept: every POST answered 303 must
/// be stored exactly once under the id it was answered with; a POST answered otherwise may or may
/// not be stored (its fate was unknown to the worker), but never twice.
struct AcknowledgedWrites {
    /// How many attempts ended with each status ("error" for a transport failure).
    let statuses: [String: Int]
    let acknowledged: Int
    /// Answered 303 but missing, or stored under another id.
    let lost: [String]
    /// Titles stored more than once.
    let duplicated: [String]
    /// Stored, though the client was not told so (a 503 whose commit had happened).
    let storedButUnacknowledged: Int
    /// Transport errors, the first few.
    let errors: [String]

    /// Compares `load`'s outcomes with the tasks titled `prefix-…` in `box`'s database.
    init(_ load: PostLoad, prefix: String, in box: Sandbox) throws {
        let outcomes = load.outcomes
        var statuses: [String: Int] = [:]
        for outcome in outcomes { statuses[outcome.status.map { "\($0)" } ?? "error", default: 0] += 1 }
        var stored: [String: [Int64]] = [:]
        for row in try box.sql("SELECT id, title FROM tasks WHERE title LIKE '\(prefix)-%'") where row.count == 2 {
            stored[row[1], default: []].append(Int64(row[0]) ?? -1)
        }
        let acknowledged = outcomes.filter { $0.status == 303 }
        self.statuses = statuses
        self.acknowledged = acknowledged.count
        lost = acknowledged.filter { $0.id == nil || stored[$0.title] != [$0.id!] }.map(\.title)
        duplicated = stored.filter { $0.value.count > 1 }.map(\.key).sorted()
        let acknowledgedTitles = Set(acknowledged.map(\.title))
        storedButUnacknowledged = stored.keys.filter { !acknowledgedTitles.contains($0) }.count
        errors = Array(outcomes.compactMap(\.error).prefix(3))
    }

    /// Responses that are neither 303 nor 503 (a 5xx other than 503, a 4xx, a transport error).
    var unexpected: [String: Int] { statuses.filter { $0.key != "303" && $0.key != "503" } }

    var summary: String {
        "\(acknowledged) acknowledged, \(lost.count) lost, \(duplicated.count) duplicated, \(statuses["503"] ?? 0) answered 503 "
            + "(\(storedButUnacknowledged) of those stored anyway), statuses \(statuses.sorted { $0.key < $1.key })"
    }
}
