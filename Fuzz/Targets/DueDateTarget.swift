// Fuzz target "duedate": `DueDate.parse(_:in:)` and `TaskInput(title:due:).validate(in:)`.
//
// Input: one selector byte, then the due text, then optionally a NUL byte and the title.
// The selector's value modulo 4 picks the zone, so the ASCII digits 0–3 in the seed files read as:
// 0 UTC, 1 Europe/Berlin, 2 America/New_York, 3 Australia/Lord_Howe (30-minute DST shift).
// Checked properties:
// - an accepted due date shows (`inputValue`) as the same wall-clock time, a value the form echoes
//   (`isInputValue`), and parses back to the same instant (whole seconds);
// - `.missing` only for blank text, `.skipped` never in UTC and names the zone;
// - `validate` refuses blank, over-long and control-character titles, accepts only when `parse`
//   succeeds (same instant, else the same message for the due field) and keeps the trimmed title.

let fuzzZones: [Zone] = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"].map {
    guard let zone = Zone(identifier: $0) else { fuzzFail("time zone \($0) is not installed (tzdata)") }
    return zone
}

@_cdecl("fuzz_duedate")
public func fuzzDueDate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    guard let selector = bytes.first else { return 0 }
    let zone = fuzzZones[Int(selector) % fuzzZones.count]
    let parts = fuzzFields(Array(bytes.dropFirst()), separator: 0, maxSplits: 1)
    let due = String(decoding: parts[0], as: UTF8.self)
    let title = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : "A task"
    let context = "\(zone.identifier) \(fuzzEscaped(parts[0]))"

    let parsed = DueDate.parse(due, in: zone)
    switch parsed {
    case .success(let instant):
        fuzzCheck(instant.milliseconds % 1000 == 0, "\(context): instant \(instant.milliseconds) ms has a fraction")
        let shown = DueDate.inputValue(instant, in: zone)
        // The form echoes a value only when a datetime-local field can hold it: every shown one can.
        fuzzCheck(DueDate.isInputValue(shown), "\(context): shown as \(shown), which the form would not echo")
        fuzzCheck(DueDate.parse(shown, in: zone) == .success(instant),
                  "\(context): shown as \(shown), which parses to \(DueDate.parse(shown, in: zone)), not \(instant)")
        // The wall-clock time shown is the one typed: same date, hour and minute; seconds when not 00.
        let typed = Array(due.trimmed().utf8)
        var expected = Array(typed[0..<16])
        expected[10] = UInt8(ascii: "T")
        if typed.count >= 19, typed[17..<19] != [0x30, 0x30] { expected += typed[16..<19] }
        fuzzCheck(Array(shown.utf8) == expected, "\(context): shown as \(shown)")
    case .failure(.missing):
        fuzzCheck(due.trimmed().isEmpty, "\(context): .missing for non-blank text")
    case .failure(.skipped(let name)):
        fuzzCheck(name == zone.identifier, "\(context): skipped names \(name)")
        fuzzCheck(zone.identifier != "UTC", "\(context): UTC never skips a time")
    case .failure(.malformed), .failure(.impossibleDate):
        break
    }
    if case .failure(let problem) = parsed { fuzzCheck(!problem.message.isEmpty, "\(context): empty message") }

    // The title rules may grow (e.g. more characters refused), so only their core is checked:
    // blank, over-long and control characters are refused; what is accepted is the trimmed text.
    let trimmedTitle = title.trimmed()
    let titleMustFail = trimmedTitle.isEmpty || trimmedTitle.count > TaskInput.maxTitleLength
        || trimmedTitle.unicodeScalars.contains { $0.properties.generalCategory == .control }
    switch TaskInput(title: title, due: due).validate(in: zone) {
    case .success(let valid):
        fuzzCheck(!titleMustFail && valid.title == trimmedTitle, "\(context): title \(fuzzEscaped(title.utf8)) accepted as \(valid.title)")
        fuzzCheck(parsed == .success(valid.due), "\(context): validate gives \(valid.due), parse \(parsed)")
    case .failure(let problems):
        if titleMustFail {
            fuzzCheck(problems.problems["title"] != nil, "\(context): title \(fuzzEscaped(title.utf8)) not refused: \(problems.problems)")
        }
        if case .failure(let problem) = parsed {
            fuzzCheck(problems.problems["due"] == problem.message, "\(context): due problem \(problems.problems)")
        } else {
            fuzzCheck(problems.problems["due"] == nil, "\(context): due refused by validate only: \(problems.problems)")
        }
        fuzzCheck(Set(problems.problems.keys).isSubset(of: ["title", "due"]) && !problems.problems.isEmpty,
                  "\(context): problems \(problems.problems)")
    }
    return 0
}
