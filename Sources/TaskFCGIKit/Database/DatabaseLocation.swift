import Foundation

/// Which database `connectionString` names: a SQLite file, or a PostgreSQL server.
public enum DatabaseLocation: Equatable, Sendable {
    /// A SQLite file: an absolute path or a `file:` URI.
    case sqlite(String)
    /// A libpq connection string: a `postgresql://` URI or `key=value` pairs.
    case postgres(String)

    /// The string handed to SQLite or libpq.
    public var connectionString: String {
        switch self {
        case .sqlite(let location), .postgres(let location): return location
        }
    }

    /// The keywords a libpq key=value connection string can start with.
    private static let libpqKeywords: Set<String> = [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service", "sslmode",
        "options", "application_name", "connect_timeout", "target_session_attrs", "channel_binding",
        "sslrootcert", "sslcert", "sslkey", "keepalives", "client_encoding",
    ]

    /// True for a PostgreSQL URI or a key=value string starting with a libpq keyword.
    static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        if lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://") { return true }
        guard let equals = text.firstIndex(of: "=") else { return false }
        let key = text[..<equals].trimmingCharacters(in: .whitespaces)
        return libpqKeywords.contains(key.lowercased())
    }

    /// The location as logs, pages and errors show it: any password replaced by `***`.
    public var displayed: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let text): return Self.masked(text)
        }
    }

    /// A libpq connection string with its password masked, in a URI's user info, its query, or a
    /// `password=` pair (quoted or not).
    static func masked(_ text: String) -> String {
        var result = text
        if let scheme = result.range(of: "://") {
            let rest = result[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@"),
               let colon = rest[..<at].firstIndex(of: ":") {
                result.replaceSubrange(result.index(after: colon)..<at, with: "***")
            }
        }
        return maskPasswordPairs(result)
    }

    /// `password=…` as a URI query parameter or a key=value pair, up to `&`, a space, or the closing quote.
    private static func maskPasswordPairs(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let found = rest.range(of: "password", options: .caseInsensitive) {
            output += rest[..<found.upperBound]
            rest = rest[found.upperBound...]
            let spaces = rest.prefix { $0 == " " }
            guard rest.dropFirst(spaces.count).first == "=" else { continue }
            rest = rest.dropFirst(spaces.count + 1)
            let gap = rest.prefix { $0 == " " }
            output += spaces + "=" + gap
            rest = rest.dropFirst(gap.count)
            if rest.first == "'" {
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex, rest[index] != "'" {
                    if rest[index] == "\\" { index = rest.index(after: index) }
                    if index < rest.endIndex { index = rest.index(after: index) }
                }
                rest = index < rest.endIndex ? rest[rest.index(after: index)...] : ""
            } else {
                rest = rest.drop { $0 != "&" && $0 != " " }
            }
            output += "***"
        }
        return output + rest
    }
}
