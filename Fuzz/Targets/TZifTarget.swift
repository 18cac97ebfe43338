// Fuzz target "tzif" (extra): `ZoneAbbreviations.parse`, the TZif (RFC 8536) reader behind zone
// abbreviations such as CET/CEST. In production it only reads /usr/share/zoneinfo (or $TZDIR), so
// this guards against a damaged or unusual tzdata file crashing the worker at startup.
//
// Input: a TZif file. Checked property: no crash; every name starts with a letter.

@_cdecl("fuzz_tzif")
public func fuzzTZif(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let names = ZoneAbbreviations.parse(bytes) else { return 0 }
    for (offset, name) in names {
        fuzzCheck(name.first?.isLetter == true, "offset \(offset): name \(fuzzEscaped(name.utf8))")
    }
    return 0
}
