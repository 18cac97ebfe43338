import Foundation
import Synchronization

/// Who is asking for an operator route, once let in.
public struct Operator: Equatable, Sendable {
    /// The signed-in user; `local` for loopback without `operators`; `metrics-token` for the scraper.
    public var user: String
    /// `REMOTE_ADDR`, or `-` when the front end sent none.
    public var peer: String
}

/// What the gate says about one request to an operator route.
enum Admission: Equatable {
    /// Served, on behalf of this operator.
    case allowed(Operator)
    /// Refused with this error; `audit` is set for a refused or throttled sign-in.
    case refused(HTTPError, audit: AuditEntry?)
}

/// The worker's own guard on its operator routes, shared by every request thread. With an
/// `operators` file: HTTP Basic from every address. Without: loopback only. A `metricsToken`
/// opens `/metrics` (and only it) to a bearer. The files are re-read on SIGHUP.
public final class OperatorGate: Sendable {
    /// The htpasswd file, if configured.
    public let operatorsFile: String?
    /// The bearer token file for `/metrics`, if configured.
    public let metricsTokenFile: String?
    let throttle: SignInThrottle
    private struct Loaded { var users: [String: String]; var token: [UInt8]? }
    private let loaded: Mutex<Loaded>

    /// A bcrypt hash (cost 5, `htpasswd -B`'s default) of a random password nobody knows, checked
    /// against for unknown users.
    private static let standIn = "$2y$05$IQORaFIhdzCLKIILDa5m2etC6PQTGdqDRAIttsOmNWn5.uGUmoQe."

    /// The realm browsers show in their sign-in box.
    public static let realm = "TaskFCGI operators"

    /// A gate without files: operator routes answer loopback only.
    public convenience init() { self.init(operatorsFile: nil, users: [:], metricsTokenFile: nil, token: nil) }

    private init(operatorsFile: String?, users: [String: String], metricsTokenFile: String?, token: [UInt8]?,
                 throttle: SignInThrottle = SignInThrottle()) {
        (self.operatorsFile, self.metricsTokenFile, self.throttle) = (operatorsFile, metricsTokenFile, throttle)
        loaded = Mutex(Loaded(users: users, token: token))
    }

    /// Loads both files; throws when one is configured but cannot be used (the worker then refuses to start).
    public static func load(operatorsFile: String?, metricsTokenFile: String?,
                            throttle: SignInThrottle = SignInThrottle()) throws -> OperatorGate {
        let users = try operatorsFile.map { try Htpasswd.read($0) }
        if let users, let operatorsFile, users.users.isEmpty {
            throw OperatorFileError(description: "\(operatorsFile) holds no bcrypt user line; add one with htpasswd -B \(operatorsFile) NAME")
        }
        let token = try metricsTokenFile.map { try readToken($0) }
        return OperatorGate(operatorsFile: operatorsFile, users: users?.users ?? [:], metricsTokenFile: metricsTokenFile,
                            token: token, throttle: throttle)
    }

    /// The users the `operators` file named when it was last read, for the log.
    public var userCount: Int { loaded.withLock { $0.users.count } }

    /// Re-reads both files (SIGHUP). A file that cannot be read keeps what was loaded, and says so.
    public func reload(log: Log) {
        if let operatorsFile {
            do {
                let file = try Htpasswd.read(operatorsFile)
                for line in file.skipped { log.warning("operators", "\(operatorsFile) \(line)") }
                if file.users.isEmpty {
                    log.warning("operators", "\(operatorsFile) holds no bcrypt user line; keeping the \(userCount) users loaded before")
                } else {
                    loaded.withLock { $0.users = file.users }
                    log.info("operators", "read \(file.users.count) operators from \(operatorsFile)")
                }
            } catch {
                log.warning("operators", "cannot re-read the operators file: \(error); keeping the \(userCount) users loaded before")
            }
        }
        if let metricsTokenFile {
            do {
                let token = try Self.readToken(metricsTokenFile)
                loaded.withLock { $0.token = token }
                log.info("operators", "read the metrics token from \(metricsTokenFile)")
            } catch {
                log.warning("operators", "cannot re-read the metrics token: \(error); keeping the token loaded before")
            }
        }
    }

    /// The first line of the token file, which must not be empty.
    static func readToken(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OperatorFileError(description: "\(path) cannot be read (missing, or no permission)")
        }
        let token = String(decoding: data, as: UTF8.self).split(separator: "\n").first.map { $0.trimmed() } ?? ""
        guard !token.isEmpty else { throw OperatorFileError(description: "\(path) is empty") }
        return Array(token.utf8)
    }

    /// Decides whether `request` (for an operator route) is served.
    func admit(_ request: Request, route: Route, now: Instant) -> Admission {
        let peer = request.remoteAddress ?? "-"
        if let wait = throttle.retryAfter(peer, now: now.milliseconds) {
            return .refused(HTTPError(429, "Too many failed sign-ins from your address. Try again in \(wait) seconds.",
                                      headers: ["Retry-After": String(wait)]), audit: nil)
        }
        let credentials = Credentials(header: request.header("authorization"))
        let (users, token) = loaded.withLock { ($0.users, $0.token) }
        if case .bearer(let offered)? = credentials, route == .metrics, token != nil {
            if let token, ConstantTime.equal(Array(offered.utf8), token) {
                return .allowed(Operator(user: "metrics-token", peer: peer))
            }
            return failed(user: "metrics-token", peer: peer, now: now)
        }
        guard operatorsFile != nil else {
            if Loopback.contains(request.remoteAddress) { return .allowed(Operator(user: "local", peer: peer)) }
            return .refused(HTTPError(403, "Operator pages answer only this machine's own address unless operators are configured: set \"operators\" in the worker's config to an htpasswd file (htpasswd -B -c FILE NAME), then sign in from anywhere."), audit: nil)
        }
        guard case .basic(let user, let password)? = credentials else {
            return .refused(Self.signIn("Sign in as an operator to see this page."), audit: nil)
        }
        // An unknown user costs a bcrypt check too, so the answer's timing does not tell which names exist.
        if PasswordHash.verify(password, against: users[user] ?? Self.standIn), users[user] != nil {
            return .allowed(Operator(user: user, peer: peer))
        }
        return failed(user: user.isEmpty ? "-" : user, peer: peer, now: now)
    }

    private func failed(user: String, peer: String, now: Instant) -> Admission {
        let tripped = throttle.fail(peer, now: now.milliseconds)
        let entry = AuditEntry(at: now, user: user, peer: peer, action: "sign-in", outcome: tripped ? "throttled" : "refused")
        if tripped, let wait = throttle.retryAfter(peer, now: now.milliseconds) {
            return .refused(HTTPError(429, "Too many failed sign-ins from your address. Try again in \(wait) seconds.",
                                      headers: ["Retry-After": String(wait)]), audit: entry)
        }
        return .refused(Self.signIn("The user name or password is wrong."), audit: entry)
    }

    /// A 401 that makes a browser ask for a user name and password.
    static func signIn(_ message: String) -> HTTPError {
        HTTPError(401, message, headers: ["WWW-Authenticate": "Basic realm=\"\(realm)\""])
    }
}
