import Glibc

/// A point in time as Unix milliseconds (UTC): how instants are stored and compared everywhere.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    /// The instant `milliseconds` after the Unix epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// The instant `amount` later (earlier when negative).
    public func adding(_ amount: Interval) -> Instant {
        Instant(milliseconds: milliseconds.addingReportingOverflow(amount.milliseconds).partialValue)
    }

    /// How long from `earlier` to this instant.
    public func since(_ earlier: Instant) -> Interval { Interval(milliseconds: milliseconds - earlier.milliseconds) }

    public static func < (a: Instant, b: Instant) -> Bool { a.milliseconds < b.milliseconds }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-24T20:31:02.123Z`.
    public var description: String { UTCText.iso8601(self) }
}

/// Where the current time comes from; tests inject their own.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    func now() -> Instant
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Instant {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Instant(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}

/// Monotonic microseconds, for measuring how long something took.
public func monotonicMicroseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
}

/// UTC timestamps formatted by hand: no formatter objects on the log's hot path.
enum UTCText {
    /// `2026-11-24T21:30:05.123Z`, written into the string's own storage (every log line has one).
    static func iso8601(_ instant: Instant) -> String {
        String(unsafeUninitializedCapacity: maxLength) { write(instant, to: $0.baseAddress!) }
    }

    /// The longest `iso8601` text (a year of Int64 range is far shorter than this).
    static let maxLength = 48

    /// Writes `iso8601(instant)` at `out` (room for `maxLength` bytes); returns its length. The
    /// calendar is computed here rather than by `gmtime_r`, which takes glibc's zone lock.
    static func write(_ instant: Instant, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let days = instant.milliseconds.floorDiv(86_400_000)
        let millisecondOfDay = Int(instant.milliseconds - days * 86_400_000)
        let (year, month, day) = CivilTime.civilFromDays(days)
        var yearDigits = 4, rest = abs(year) / 10_000 // four digits, more for a far-future year
        while rest > 0 { yearDigits += 1; rest /= 10 }
        var at = 0
        if year < 0 { out[0] = UInt8(ascii: "-"); at = 1 }
        func put(_ value: Int, _ width: Int, then separator: UInt8) {
            var rest = value
            for index in stride(from: at + width - 1, through: at, by: -1) {
                out[index] = UInt8(rest % 10) + UInt8(ascii: "0")
                rest /= 10
            }
            out[at + width] = separator
            at += width + 1
        }
        let second = millisecondOfDay / 1000
        put(abs(year), yearDigits, then: UInt8(ascii: "-"))
        put(month, 2, then: UInt8(ascii: "-"))
        put(day, 2, then: UInt8(ascii: "T"))
        put(second / 3600, 2, then: UInt8(ascii: ":"))
        put(second / 60 % 60, 2, then: UInt8(ascii: ":"))
        put(second % 60, 2, then: UInt8(ascii: "."))
        put(millisecondOfDay % 1000, 3, then: UInt8(ascii: "Z"))
        return at
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension Int64 {
    /// Division rounding toward negative infinity (instants before 1970 stay correct).
    func floorDiv(_ divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// The remainder matching `floorDiv`, always in 0..<divisor.
    func floorMod(_ divisor: Int64) -> Int64 { self - floorDiv(divisor) * divisor }
}
