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
        var seconds = time_t(instant.milliseconds.floorDiv(1000))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        var yearDigits = 4, rest = abs(year) / 10_000 // four digits, more for a far-future year
        while rest > 0 { yearDigits += 1; rest /= 10 }
        return String(unsafeUninitializedCapacity: 21 + yearDigits) { out in
            var at = 0
            if year < 0 { out[0] = UInt8(ascii: "-"); at = 1 }
            func put(_ value: Int, _ width: Int, then separator: UInt8) { digits(value, width, then: separator, into: out, at: &at) }
            put(abs(year), yearDigits, then: UInt8(ascii: "-"))
            put(Int(parts.tm_mon) + 1, 2, then: UInt8(ascii: "-"))
            put(Int(parts.tm_mday), 2, then: UInt8(ascii: "T"))
            put(Int(parts.tm_hour), 2, then: UInt8(ascii: ":"))
            put(Int(parts.tm_min), 2, then: UInt8(ascii: ":"))
            put(Int(parts.tm_sec), 2, then: UInt8(ascii: "."))
            put(Int(instant.milliseconds.floorMod(1000)), 3, then: UInt8(ascii: "Z"))
            return at
        }
    }

    /// `value` as `width` zero-padded digits and then `separator`, at `at` in `out` (moved past them).
    static func digits(_ value: Int, _ width: Int, then separator: UInt8, into out: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        var rest = value
        for index in stride(from: at + width - 1, through: at, by: -1) {
            out[index] = UInt8(rest % 10) + UInt8(ascii: "0")
            rest /= 10
        }
        out[at + width] = separator
        at += width + 1
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
