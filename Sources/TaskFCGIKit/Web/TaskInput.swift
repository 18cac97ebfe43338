/// The task form's fields as typed, and their validation. Errors keep the input so the form can
/// be shown again exactly as the user left it.
public struct TaskInput: Equatable, Sendable {
    public var title: String
    public var due: String

    /// The longest title, in characters, after trimming.
    public static let maxTitleLength = 200

    public init(title: String = "", due: String = "") {
        self.title = title
        self.due = due
    }

    /// The fields from a posted form; a repeated field is refused rather than guessed at.
    public init(form: Form) throws {
        for name in Self.fieldNames where form.count(of: name) > 1 {
            throw HTTPError(400, "The form sent the field “\(name)” more than once.")
        }
        self.init(title: form["title"] ?? "", due: form["due"] ?? "")
    }

    private static let fieldNames = ["title", "due"]

    /// Control characters and line or paragraph separators (printable ASCII is decided without
    /// looking up Unicode properties).
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 0x20 && scalar.value < 0x7F { return false }
        return [.control, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
    }

    /// White space and characters drawn as nothing (zero-width space and joiners, BOM, soft hyphen).
    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value > 0x20 && scalar.value < 0x7F { return false }
        let properties = scalar.properties
        return properties.isWhitespace || properties.isDefaultIgnorableCodePoint || properties.generalCategory == .format
    }

    /// The title trimmed, and why it cannot be used, if it cannot: the form and the API say the same.
    public static func checkTitle(_ raw: String) -> (title: String, problem: String?) {
        let title = raw.trimmed()
        if title.unicodeScalars.allSatisfy(isInvisible) { // empty, or zero-width characters only
            return (title, "Enter a title.")
        } else if title.utf8.count > maxTitleLength, title.count > maxTitleLength { // bytes ≥ characters: count only when it can matter
            return (title, "Keep the title to \(maxTitleLength) characters; this one has \(title.count).")
        } else if title.utf8.count > 16 * maxTitleLength, title.unicodeScalars.count > 16 * maxTitleLength {
            // One character can stack any number of combining marks: cap the code points too.
            return (title, "Keep the title to \(maxTitleLength) characters; this one carries too many accents or combining marks.")
        } else if !title.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), title.unicodeScalars.contains(where: isForbidden) {
            // Printable ASCII (most titles) is checked byte by byte, without decoding scalars.
            return (title, "The title cannot contain control characters such as line breaks or tabs.")
        }
        return (title, nil)
    }

    /// Messages by field name (`title`, `due`); empty when the input is valid.
    public typealias Problems = [String: String]

    /// The cleaned title and the due instant, or the problems to show beside the fields.
    /// `keeping`: the task's current due instant, when editing (see `DueDate.parse`).
    public func validate(in zone: Zone, keeping current: Instant? = nil) -> Result<(title: String, due: Instant), FormProblems> {
        var problems: Problems = [:]
        let (title, titleProblem) = Self.checkTitle(self.title)
        problems["title"] = titleProblem
        var dueInstant: Instant?
        switch DueDate.parse(due, in: zone, keeping: current) {
        case .success(let instant): dueInstant = instant
        case .failure(let problem): problems["due"] = problem.message
        }
        guard problems.isEmpty, let dueInstant else { return .failure(FormProblems(problems: problems)) }
        return .success((title, dueInstant))
    }
}

/// Validation messages by field, as an error value.
public struct FormProblems: Error, Equatable, Sendable {
    public var problems: TaskInput.Problems
}
