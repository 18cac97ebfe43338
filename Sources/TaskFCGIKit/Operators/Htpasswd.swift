import Foundation

/// An htpasswd file as `htpasswd -B` writes it: `user:$2y$…` lines. Only bcrypt lines are
/// accepted; the others (MD5 `$apr1$`, SHA-1 `{SHA}`, crypt) are reported so an operator
/// knows why that user cannot sign in.
struct Htpasswd: Equatable, Sendable {
    /// The bcrypt hash of each user.
    var users: [String: String]
    /// Line numbers that were skipped, and why (never the hash itself).
    var skipped: [String]

    /// Parses the file's text.
    init(text: String) {
        users = [:]
        skipped = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                skipped.append("line \(index + 1): not user:hash")
                continue
            }
            let user = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard PasswordHash.isBcrypt(hash) else {
                skipped.append("line \(index + 1) (\(user)): not a bcrypt hash; create it with htpasswd -B")
                continue
            }
            users[user] = hash
        }
    }

    /// Reads and parses the file at `path`; throws a message naming the problem.
    static func read(_ path: String) throws -> Htpasswd {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (permissions?)" : "does not exist"
            throw OperatorFileError(description: "\(path) \(reason)")
        }
        return Htpasswd(text: String(decoding: data, as: UTF8.self))
    }
}

/// An operators or token file that cannot be used.
struct OperatorFileError: Error, CustomStringConvertible {
    let description: String
}
