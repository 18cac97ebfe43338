/// Reads one JSON object of the config, refusing unknown keys and wrong types by name.
struct ConfigReader {
    let file: String
    let path: String
    let fields: [String: JSONValue]

    init(_ value: JSONValue, file: String, path: String, allowed: [String]) throws {
        self.file = file
        self.path = path
        guard case .object(let fields) = value else {
            throw ConfigError(file: file, key: path.isEmpty ? nil : path, problem: "expected an object, found \(value.kind)")
        }
        self.fields = fields
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            let hint = Self.closest(to: unknown, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw error(unknown, "unknown key\(hint); known keys here: \(allowed.joined(separator: ", "))")
        }
    }

    func keyPath(_ key: String) -> String {
        let shown = Self.shown(key)
        return path.isEmpty ? shown : path + "." + shown
    }

    /// A key as an error message shows it: as written when it is plain printable ASCII, else
    /// quoted with every other character escaped, so that a control character or a combining
    /// mark can neither hide in the message nor merge with the text around it.
    static func shown(_ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy {
            $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" && $0 != "."
        }
        if plain { return key }
        var quoted = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case " "..."~": quoted.unicodeScalars.append(scalar)
            default: quoted += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return quoted + "\""
    }

    func error(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: keyPath(key), problem: problem)
    }

    private func value(_ key: String) -> JSONValue? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, "expected a string, found \(value.kind)") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value else { throw error(key, "expected a whole number, found \(value.kind)") }
        guard number >= range.lowerBound, number <= range.upperBound else {
            throw error(key, "\(number) is out of range \(range.lowerBound)…\(range.upperBound)")
        }
        return Int(number)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "expected true or false, found \(value.kind)") }
        return flag
    }

    func interval(_ key: String) throws -> Interval? {
        guard let text = try string(key) else { return nil }
        guard let interval = Interval(parsing: text) else {
            throw error(key, "\"\(text)\" is not a duration; write a positive whole number and a unit: 250ms, 30s, 5m, 1h or 1d")
        }
        return interval
    }

    /// An array of strings, e.g. `["10.0.0.5", "10.0.0.6"]`.
    func strings(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw error(key, "expected an array of strings, found \(value.kind)") }
        return try items.enumerated().map { index, item in
            guard case .string(let text) = item else { throw error(key, "item \(index + 1) is \(item.kind), not a string") }
            return text
        }
    }

    func object(_ key: String, allowed: [String]) throws -> ConfigReader? {
        guard let value = value(key) else { return nil }
        return try ConfigReader(value, file: file, path: keyPath(key), allowed: allowed)
    }

    /// An array of objects, each read with its own reader (`endpoints[2].url` in errors).
    func objects(_ key: String, allowed: [String]) throws -> [ConfigReader]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw error(key, "expected an array of objects, found \(value.kind)") }
        return try items.enumerated().map { index, item in
            try ConfigReader(item, file: file, path: keyPath(key) + "[\(index + 1)]", allowed: allowed)
        }
    }

    /// The allowed key within two edits of a misspelt one, for the error's hint.
    static func closest(to key: String, in allowed: [String]) -> String? {
        allowed.map { ($0, editDistance($0.lowercased(), key.lowercased())) }
            .filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
