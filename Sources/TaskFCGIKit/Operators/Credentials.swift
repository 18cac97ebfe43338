import Foundation

/// What a request's `Authorization` header offers.
enum Credentials: Equatable {
    /// HTTP Basic: a user and a password.
    case basic(user: String, password: String)
    /// A bearer token (the metrics scraper's).
    case bearer(String)

    /// The header's credentials; nil when it is missing or neither scheme (a malformed Basic
    /// value is a failed sign-in, not a missing one, so it parses as an empty user).
    init?(header: String?) {
        guard let header = header?.trimmed(), let space = header.firstIndex(of: " ") else { return nil }
        let scheme = header[..<space].lowercased()
        let value = header[header.index(after: space)...].trimmed()
        switch scheme {
        case "basic":
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                  let colon = text.firstIndex(of: ":") else {
                self = .basic(user: "", password: "")
                return
            }
            self = .basic(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
        case "bearer":
            self = .bearer(value)
        default:
            return nil
        }
    }
}

/// Which client addresses count as this machine.
enum Loopback {
    /// 127.0.0.0/8, `::1` and IPv4-mapped `::ffff:127.x.y.z`, as the front end writes `REMOTE_ADDR`.
    static func contains(_ address: String?) -> Bool {
        guard var address = address?.lowercased() else { return false }
        if address == "::1" || address == "0:0:0:0:0:0:0:1" { return true }
        if address.hasPrefix("::ffff:") { address.removeFirst(7) }
        var parsed = in_addr()
        guard inet_pton(AF_INET, address, &parsed) == 1 else { return false }
        return UInt32(bigEndian: parsed.s_addr) >> 24 == 127
    }
}
