import Foundation

/// The IANA zone in which due dates are entered and shown.
public struct Zone: Sendable {
    /// The IANA identifier, e.g. `Europe/Berlin`.
    public let identifier: String
    private let timeZone: TimeZone
    private let abbreviations: [Int: String]
    private let table: ZoneOffsets

    /// The zone named `identifier`, or nil when the system does not know it.
    public init?(identifier: String) {
        guard let timeZone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.timeZone = timeZone
        let abbreviations = ZoneAbbreviations.load(identifier: identifier)
        self.abbreviations = abbreviations
        self.table = ZoneOffsets(timeZone) { Self.abbreviation(offset: $0, names: abbreviations) }
    }

    /// The process's zone (from `TZ` or `/etc/localtime`).
    public static var current: Zone { Zone(identifier: TimeZone.current.identifier) ?? Zone(identifier: "UTC")! }

    /// Seconds east of UTC at `instant`.
    public func offset(at instant: Instant) -> Int {
        local(seconds: instant.milliseconds.floorDiv(1000)).offset
    }

    /// The first instant after `instant` at which this zone's offset changes; nil when none is
    /// known, so the offset at `instant` holds from then on. Past the table's last transition
    /// Foundation answers, as `offset(at:)` does there (a cron slot in 2202 still meets DST).
    public func nextTransition(after instant: Instant) -> Instant? {
        let seconds = instant.milliseconds.floorDiv(1000)
        if let next = table.nextTransition(after: seconds) { return Instant(milliseconds: next * 1000) }
        let after = Date(timeIntervalSince1970: Double(seconds))
        guard let next = timeZone.nextDaylightSavingTimeTransition(after: after), next > after else { return nil }
        return Instant(milliseconds: Int64(next.timeIntervalSince1970.rounded(.down)) * 1000)
    }

    /// The civil time on a wall clock in this zone at `instant`.
    public func civilTime(at instant: Instant) -> CivilTime {
        CivilTime(secondsAsIfUTC: instant.milliseconds.floorDiv(1000) + Int64(offset(at: instant)))
    }

    /// The zone's short name at `instant` (`CET`, `CEST`), or `UTC+01:00` where tzdata names none.
    public func abbreviation(at instant: Instant) -> String {
        local(seconds: instant.milliseconds.floorDiv(1000)).name
    }

    /// Wall-clock time and zone name at `instant`, looking the offset up once.
    public func local(at instant: Instant) -> (civil: CivilTime, abbreviation: String) {
        let (civil, _, name) = localWithOffset(at: instant)
        return (civil, name)
    }

    /// The same, with the offset from UTC in seconds.
    public func localWithOffset(at instant: Instant) -> (civil: CivilTime, offset: Int, abbreviation: String) {
        let seconds = instant.milliseconds.floorDiv(1000)
        let (offset, name) = local(seconds: seconds)
        return (CivilTime(secondsAsIfUTC: seconds + Int64(offset)), offset, name)
    }

    /// The offset and its name from the table, or from Foundation outside it.
    private func local(seconds: Int64) -> (offset: Int, name: String) {
        if let entry = table.local(at: seconds) { return entry }
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        return (offset, Self.abbreviation(offset: offset, names: abbreviations))
    }

    private static func abbreviation(offset: Int, names: [Int: String]) -> String {
        if let name = names[offset] { return name }
        let sign = offset < 0 ? "-" : "+"
        return "UTC\(sign)\(UTCText.pad(abs(offset) / 3600, 2)):\(UTCText.pad(abs(offset) / 60 % 60, 2))"
    }

    /// What a civil time means in this zone.
    public enum Resolution: Equatable, Sendable {
        /// Exactly one instant.
        case unique(Instant)
        /// Clocks went back: the time happened twice, `earlier` first.
        case ambiguous(earlier: Instant, later: Instant)
        /// Clocks went forward: the time never happened.
        case skipped
    }

    /// Resolves a civil time to instants, assuming at most one offset change within a day of it.
    public func resolve(_ civil: CivilTime) -> Resolution {
        let local = civil.secondsAsIfUTC
        // The offsets a day before and after; the time means `local - offset` for each offset
        // that holds at the instant it gives.
        let before = offset(at: Instant(milliseconds: (local - 86_400) * 1000))
        let after = offset(at: Instant(milliseconds: (local + 86_400) * 1000))
        func instant(ifOffset candidate: Int) -> Instant? {
            let instant = Instant(milliseconds: (local - Int64(candidate)) * 1000)
            return offset(at: instant) == candidate ? instant : nil
        }
        switch (instant(ifOffset: before), before == after ? nil : instant(ifOffset: after)) {
        case (nil, nil): return .skipped
        case (let only?, nil), (nil, let only?): return .unique(only)
        case (let first?, let second?): return .ambiguous(earlier: min(first, second), later: max(first, second))
        }
    }
}

/// Reads a zone's abbreviations (`CET`, `CEST`) from its tzdata file, keyed by UTC offset.
/// Foundation on Linux only offers `GMT+1`; the TZif file has the names people expect.
enum ZoneAbbreviations {
    static func load(identifier: String) -> [Int: String] {
        let folder = ProcessInfo.processInfo.environment["TZDIR"] ?? "/usr/share/zoneinfo"
        guard !identifier.contains(".."),
              let data = FileManager.default.contents(atPath: folder + "/" + identifier) else {
            return identifier == "UTC" || identifier == "GMT" ? [0: identifier] : [:]
        }
        return parse([UInt8](data)) ?? [:]
    }

    /// Parses TZif (RFC 8536): version 1 block, then for version 2+ the 64-bit block that follows.
    static func parse(_ bytes: [UInt8]) -> [Int: String]? {
        guard bytes.count >= 44, bytes[0..<4].elementsEqual("TZif".utf8) else { return nil }
        let v1 = header(bytes, at: 0, timeSize: 4)
        guard let v1 else { return nil }
        if bytes[4] >= UInt8(ascii: "2"), let v2 = header(bytes, at: v1.end, timeSize: 8) {
            return names(bytes, v2)
        }
        return names(bytes, v1)
    }

    private struct Block { var start: Int, timeCount: Int, typeCount: Int, charCount: Int, timeSize: Int, end: Int }

    private static func header(_ bytes: [UInt8], at offset: Int, timeSize: Int) -> Block? {
        guard bytes.count >= offset + 44 else { return nil }
        let counts = (0..<6).map { Int(bigEndian32(bytes, offset + 20 + 4 * $0)) }
        let (utCount, stdCount, leapCount, timeCount, typeCount, charCount) =
            (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5])
        let start = offset + 44
        let size = timeCount * (timeSize + 1) + typeCount * 6 + charCount + leapCount * (timeSize + 4) + stdCount + utCount
        guard bytes.count >= start + size, typeCount > 0 else { return nil }
        return Block(start: start, timeCount: timeCount, typeCount: typeCount, charCount: charCount,
                     timeSize: timeSize, end: start + size)
    }

    private static func names(_ bytes: [UInt8], _ block: Block) -> [Int: String] {
        let typesStart = block.start + block.timeCount * block.timeSize
        let infoStart = typesStart + block.timeCount
        let charsStart = infoStart + block.typeCount * 6
        func name(ofType type: Int) -> (Int, String)? {
            guard type < block.typeCount else { return nil }
            let info = infoStart + type * 6
            let offset = Int(Int32(bitPattern: bigEndian32(bytes, info)))
            var index = charsStart + Int(bytes[info + 5])
            var text = ""
            while index < charsStart + block.charCount, bytes[index] != 0 {
                text.append(Character(UnicodeScalar(bytes[index])))
                index += 1
            }
            // Numeric names such as "+03" add nothing over the offset itself.
            return text.first?.isLetter == true ? (offset, text) : nil
        }
        var result: [Int: String] = [:]
        // Later transitions win, so each offset gets the name it carries today.
        let order = block.timeCount == 0 ? [0] : (0..<block.timeCount).map { Int(bytes[typesStart + $0]) }
        for type in order { if let (offset, text) = name(ofType: type) { result[offset] = text } }
        return result
    }

    private static func bigEndian32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
