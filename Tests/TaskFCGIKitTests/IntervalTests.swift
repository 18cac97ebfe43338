import Testing
@testable import TaskFCGIKit

@Suite struct IntervalTests {
    @Test(arguments: [
        ("250ms", 250), ("1ms", 1), ("30s", 30_000), ("90s", 90_000), ("5m", 300_000),
        ("1h", 3_600_000), ("1d", 86_400_000), ("3650d", 3650 * 86_400_000),
    ] as [(String, Int64)])
    func parses(_ text: String, _ milliseconds: Int64) {
        #expect(Interval(parsing: text) == Interval(milliseconds: milliseconds))
    }

    @Test(arguments: [
        "", "5", "5x", "0s", "0ms", "-1m", "+1m", "1.5h", "5 m", " 5m", "5m ", "m", "ms", "5M", "5mm",
        "٥m", // an Arabic-Indic five: a digit, but not ASCII
        "3661d", // beyond ten years
        "99999999999999999999s", // beyond Int64
    ])
    func rejects(_ text: String) {
        #expect(Interval(parsing: text) == nil)
    }

    @Test func factoriesAgree() {
        #expect(Interval.seconds(90) == .milliseconds(90_000))
        #expect(Interval.minutes(5) == .seconds(300))
        #expect(Interval.hours(2) == .minutes(120))
        #expect(Interval.days(1) == .hours(24))
    }

    @Test(arguments: [
        (Interval.milliseconds(250), "250ms"), (.milliseconds(1500), "1500ms"), (.seconds(90), "90s"),
        (.minutes(5), "5m"), (.minutes(90), "90m"), (.hours(1), "1h"), (.hours(36), "36h"), (.days(30), "30d"),
        (.milliseconds(0), "0ms"),
    ] as [(Interval, String)])
    func description(_ interval: Interval, _ text: String) {
        #expect(interval.description == text)
    }

    @Test(arguments: ["250ms", "1500ms", "30s", "90s", "5m", "90m", "1h", "36h", "1d", "30d"])
    func descriptionRoundTrips(_ text: String) throws {
        let interval = try #require(Interval(parsing: text))
        #expect(interval.description == text)
        #expect(Interval(parsing: interval.description) == interval)
    }

    @Test func nonCanonicalSpellingsNormalise() {
        #expect(Interval(parsing: "60s")?.description == "1m")
        #expect(Interval(parsing: "24h")?.description == "1d")
        #expect(Interval(parsing: "1000ms")?.description == "1s")
    }

    @Test func instantArithmetic() {
        let start = Instant(milliseconds: 1_000)
        #expect(start.adding(.seconds(2)) == Instant(milliseconds: 3_000))
        #expect(start.adding(.milliseconds(-1_500)) == Instant(milliseconds: -500))
        #expect(Instant(milliseconds: 3_000).since(start) == .seconds(2))
    }
}
