// Fuzz target "interval": `Interval(parsing:)`, the duration parser of the config file.
//
// Input: the text (UTF-8, decoded lossily). Checked properties:
// - it accepts exactly `<ASCII digits><ms|s|m|h|d>` with a value in 1 ms … 3660 days, as an
//   independent byte-level reference parser says, with the same number of milliseconds;
// - round trip: `Interval(parsing: interval.description) == interval`;
// - the first 8 input bytes, read as a number of milliseconds in range, also round-trip through
//   `description`, so every spelling `description` can produce is covered.

let fuzzIntervalLimit: Int64 = 10 * 366 * 86_400_000

@_cdecl("fuzz_interval")
public func fuzzInterval(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = Interval(parsing: text)
    let expected = fuzzReferenceInterval(Array(text.utf8))
    fuzzCheck(parsed?.milliseconds == expected,
              "\(fuzzEscaped(text.utf8)) parses to \(parsed.map { "\($0.milliseconds) ms" } ?? "nil"), reference \(expected.map { "\($0) ms" } ?? "nil")")
    if let parsed { fuzzRoundTrip(parsed, context: fuzzEscaped(text.utf8)) }

    if bytes.count >= 8 {
        let raw = bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        // Mostly small values (the interesting spellings), sometimes anything up to the limit.
        let bound = raw & 1 == 0 ? Int64(100_000_000) : fuzzIntervalLimit
        let milliseconds = Int64((raw >> 1) % UInt64(bound)) + 1
        fuzzRoundTrip(Interval(milliseconds: milliseconds), context: "\(milliseconds) ms")
    }
    return 0
}

func fuzzRoundTrip(_ interval: Interval, context: String) {
    let spelling = interval.description
    let again = Interval(parsing: spelling)
    fuzzCheck(again == interval, "\(context): \(interval.milliseconds) ms is spelt \(spelling), which parses to \(again.map { "\($0.milliseconds) ms" } ?? "nil")")
}

/// Milliseconds for `^[0-9]+(ms|s|m|h|d)$` with a value in range, else nil.
func fuzzReferenceInterval(_ bytes: [UInt8]) -> Int64? {
    let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
    guard let (suffix, factor) = units.first(where: { bytes.count > $0.0.utf8.count && bytes.suffix($0.0.utf8.count).elementsEqual($0.0.utf8) })
    else { return nil }
    let digits = bytes.dropLast(suffix.utf8.count)
    var value: Int64 = 0
    for digit in digits {
        guard (0x30...0x39).contains(digit) else { return nil }
        value = value * 10 + Int64(digit - 0x30)
        if value > fuzzIntervalLimit { return nil } // stays far below Int64.max
    }
    let total = value.multipliedReportingOverflow(by: factor)
    return value > 0 && !total.overflow && total.partialValue <= fuzzIntervalLimit ? total.partialValue : nil
}
