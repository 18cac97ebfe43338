/// A length of time in milliseconds, written in config files as `30s`, `5m`, `1h`, `1d`.
public struct Interval: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The length in milliseconds.
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func milliseconds(_ value: Int64) -> Interval { Interval(milliseconds: value) }
    public static func seconds(_ value: Int64) -> Interval { Interval(milliseconds: value * 1000) }
    public static func minutes(_ value: Int64) -> Interval { .seconds(value * 60) }
    public static func hours(_ value: Int64) -> Interval { .minutes(value * 60) }
    public static func days(_ value: Int64) -> Interval { .hours(value * 24) }

    public static func < (a: Interval, b: Interval) -> Bool { a.milliseconds < b.milliseconds }

    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Parses `<positive integer><unit>` with unit `ms`, `s`, `m`, `h` or `d`; nil otherwise.
    public init?(parsing text: String) {
        // `ms` is listed first, so "5ms" is not read as 5 minutes followed by junk.
        for unit in Self.units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int64(number), value > 0 else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit.milliseconds)
            // Ten years is far beyond any sensible interval; refusing it keeps instant arithmetic safe.
            guard !overflow, product <= 10 * 366 * 86_400_000 else { return nil }
            self.milliseconds = product
            return
        }
        return nil
    }

    /// The shortest exact spelling: `90s`, `5m`, `1d`, `250ms`.
    public var description: String {
        for unit in Self.units.reversed() where milliseconds % unit.milliseconds == 0 && milliseconds != 0 {
            return "\(milliseconds / unit.milliseconds)\(unit.suffix)"
        }
        return "\(milliseconds)ms"
    }
}
