import Testing
@testable import TaskFCGIKit

/// The slot logic with an injected clock: what the runner does about a schedule at a given instant.
@Suite struct JobScheduleTests {
    private let start = utc(2026, 11, 24, 12)
    private let utcZone = Zone(identifier: "UTC")!
    private let berlin = Zone(identifier: "Europe/Berlin")!
    private let hourly = JobTrigger.every(.hours(1))

    private func at(minutes: Int64) -> Instant { start.adding(.minutes(minutes)) }

    private func decide(_ next: Instant, _ now: Instant, _ trigger: JobTrigger, _ policy: MisfirePolicy = .once,
                        zone: Zone? = nil) -> SlotDecision {
        SlotDecision.decide(next: next, now: now, trigger: trigger, zone: zone ?? utcZone, policy: policy)
    }

    @Test func waitsForAFutureSlot() {
        #expect(decide(at(minutes: 60), at(minutes: 59), hourly) == .wait(until: at(minutes: 60)))
    }

    @Test func runsTheSlotThatIsDueNow() {
        #expect(decide(at(minutes: 60), at(minutes: 60), hourly) == .run(slot: at(minutes: 60), missed: 0, next: at(minutes: 120)))
    }

    @Test func aSlotLessThanTheGraceLateIsOnTimeEvenWhenSkipping() {
        let now = at(minutes: 60).adding(.seconds(30))
        #expect(decide(at(minutes: 60), now, hourly, .skip) == .run(slot: at(minutes: 60), missed: 0, next: at(minutes: 120)))
    }

    @Test func missedSlotsRunOnceForTheLatestSlot() {
        // Nobody held the lease from 12:00 to 17:30: the 13:00 … 17:00 slots passed.
        let decision = decide(at(minutes: 60), at(minutes: 330), hourly, .once)
        #expect(decision == .run(slot: at(minutes: 300), missed: 4, next: at(minutes: 360)))
    }

    @Test func missedSlotsAreSkippedWithSkip() {
        let decision = decide(at(minutes: 60), at(minutes: 330), hourly, .skip)
        #expect(decision == .skip(missed: 5, next: at(minutes: 360)))
    }

    @Test func intervalSlotsStayOnTheirGrid() {
        // The grid is anchored at the first slot, not at whenever the worker came back.
        let every7 = JobTrigger.every(.minutes(7))
        #expect(decide(at(minutes: 0), at(minutes: 30), every7) == .run(slot: at(minutes: 28), missed: 4, next: at(minutes: 35)))
    }

    @Test func cronSlotsMissedOverDaysRunOnce() throws {
        let daily = JobTrigger.cron(try CronExpression(parsing: "@daily"))
        let next = utc(2026, 11, 25)
        let decision = decide(next, utc(2026, 11, 28, 9), daily, .once)
        #expect(decision == .run(slot: utc(2026, 11, 28), missed: 3, next: utc(2026, 11, 29)))
        #expect(decide(next, utc(2026, 11, 28, 9), daily, .skip) == .skip(missed: 4, next: utc(2026, 11, 29)))
    }

    @Test func firstSlotOfANewIntervalJobIsNowAndOfACronJobItsNextMatch() throws {
        #expect(hourly.firstSlot(now: start, lastSlot: nil, in: utcZone) == start)
        #expect(hourly.firstSlot(now: at(minutes: 10), lastSlot: start, in: utcZone) == at(minutes: 60))
        #expect(hourly.firstSlot(now: at(minutes: 90), lastSlot: start, in: utcZone) == at(minutes: 90))
        let daily = JobTrigger.cron(try CronExpression(parsing: "@daily"))
        #expect(daily.firstSlot(now: start, lastSlot: nil, in: utcZone) == utc(2026, 11, 25))
    }

    @Test func descriptionIsTheScheduleAsWritten() throws {
        #expect(hourly.description == "every 1h")
        #expect(JobTrigger.cron(try CronExpression(parsing: "@daily")).description == "cron @daily")
    }

    @Test func backoffDoublesUpToAMinute() {
        #expect((1...8).map { retryBackoff(failures: $0) } == [1, 2, 4, 8, 16, 32, 60, 60].map { Interval.seconds($0) })
    }
}
