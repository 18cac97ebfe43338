import Foundation
@testable import TaskFCGIKit

/// A real webhook receiver on 127.0.0.1: Tests/Support/webhook_receiver.py, which checks every
/// request with the Standard Webhooks reference implementation (Python `standardwebhooks` in
/// `.build-venv`) and answers with a planned list of statuses. Every request it saw can be read
/// back as a `Delivery`. Stopped by `stop()` or when released.
final class WebhookReceiver: @unchecked Sendable {
    /// One request as the receiver saw it (one JSON line of its log).
    struct Delivery: Decodable, Sendable {
        /// 1 for the first request, 2 for the next…
        let n: Int
        let method: String
        let path: String
        let id: String?
        /// The `webhook-timestamp` header as sent.
        let timestamp: String?
        /// The body's top-level `type`, when it is a JSON object with one.
        let type: String?
        /// The `webhook-signature` header as sent.
        let signature: String?
        /// What the reference implementation computes for this id, timestamp and body.
        let expectedSignature: String?
        /// Whether the reference implementation's `Webhook.verify` accepted the request.
        let verified: Bool
        /// Why it did not.
        let error: String?
        /// The status answered (302 for `redirect`, 0 for `close`).
        let status: Int
        /// Unix seconds when the request was read.
        let received: Double
        let body: String
        let userAgent: String?
        let contentType: String?
    }

    /// The port it listens on.
    let port: Int
    /// The secret it verifies with (`whsec_…`); sign with `secret`.
    let secretText: String
    let secret: WebhookSecret
    /// Its files: the log, the secret, its stdout and stderr.
    let folder: String
    let logPath: String
    private let child: ChildProcess
    private let ownsFolder: Bool

    /// Whether it serves https (with a self-signed certificate).
    let tls: Bool

    /// A URL on the receiver; `/hooks` unless told.
    func url(path: String = "/hooks") -> String { "\(tls ? "https" : "http")://127.0.0.1:\(port)\(path)" }
    /// `http://127.0.0.1:<port>/hooks` (https with `tls`).
    var url: String { url() }

    /// The script, from the checkout.
    static var script: String { Validators.packageRoot() + "/Tests/Support/webhook_receiver.py" }

    /// What is missing to run a receiver (the venv's python with `standardwebhooks`), or nil.
    static var missing: String? {
        guard Validators.python("python") != nil else { return "missing .build-venv/bin/python (scripts/python-tools.sh)" }
        let lib = Validators.packageRoot() + "/.build-venv/lib"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? []
        let installed = versions.contains {
            FileManager.default.fileExists(atPath: "\(lib)/\($0)/site-packages/standardwebhooks/webhooks.py")
        }
        return installed ? nil : "missing standardwebhooks in .build-venv (scripts/python-tools.sh)"
    }

    /// Run when installed; under CI run anyway, so that a missing package fails instead of skipping.
    static var shouldRun: Bool { missing == nil || Validators.isCI }

    /// Starts a receiver and waits until it accepts connections.
    /// - plan: answers in order (`"500"`, `"410"`, `"redirect"` for a 302 to /elsewhere, `"close"` to
    ///   drop the connection); after the last, 200 forever.
    /// - delay: seconds to wait before answering each request.
    /// - port: a fixed port (to bring a receiver back where an earlier one was); else any free one.
    /// - secret: the `whsec_` secret; else a fresh random one.
    /// - folder: where its files go (e.g. a `Sandbox`'s folder); else a temp folder removed on stop.
    /// - tls: serve https with a fresh self-signed certificate (made with the `openssl` command).
    init(plan: [String] = [], delay: Double = 0, port: Int? = nil, secret: String? = nil, folder: String? = nil,
         tls: Bool = false) throws {
        if let missing = Self.missing { throw HarnessError("cannot start the webhook receiver: \(missing)") }
        ownsFolder = folder == nil
        let folder = folder ?? NSTemporaryDirectory() + "webhook-receiver-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.folder = folder
        secretText = secret ?? "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        self.secret = try WebhookSecret(secretText)
        let unique = UUID().uuidString.prefix(8).lowercased()
        let secretPath = "\(folder)/webhook-secret-\(unique)"
        logPath = "\(folder)/webhook-deliveries-\(unique).jsonl"
        try (secretText + "\n").write(toFile: secretPath, atomically: true, encoding: .utf8)
        var arguments = [Self.script, "--secret-file", secretPath, "--log", logPath, "--port", String(port ?? 0)]
        if !plan.isEmpty { arguments += ["--plan", plan.joined(separator: ",")] }
        if delay > 0 { arguments += ["--delay", String(delay)] }
        self.tls = tls
        if tls {
            let (cert, key) = ("\(folder)/webhook-cert-\(unique).pem", "\(folder)/webhook-key-\(unique).pem")
            let made = try ChildProcess.run("openssl", try Tools.find("openssl"), [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert,
            ], folder: folder)
            guard made.ending == .exited(0) else { throw HarnessError("openssl req failed: \(made.stderr.suffix(2000))") }
            arguments += ["--tls-cert", cert, "--tls-key", key]
        }
        let child = try ChildProcess(name: "webhook-receiver", executable: Validators.python("python")!, arguments: arguments,
                                     folder: folder, environment: ["PYTHONUNBUFFERED": "1", "PATH": "/usr/bin:/bin"])
        self.child = child
        var announced: Int?
        waitUntil(15) {
            announced = Int(child.stdout.split(separator: "\n").first ?? "")
            return announced != nil || !child.isRunning
        }
        guard let announced else {
            child.stop(grace: 1)
            throw HarnessError("the webhook receiver did not start (\(child.ending.map { "\($0)" } ?? "no port within 15 s")):\n\(child.stderr.suffix(3000))")
        }
        self.port = announced
    }

    deinit { stop() }

    /// Stops the receiver; its folder goes too if it made one. Safe to call twice.
    func stop() {
        child.stop(grace: 2)
        if ownsFolder, ProcessInfo.processInfo.environment["TASKFCGI_KEEP_TEMP"] == nil {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// Every request seen so far, in order (only whole lines: one being written is left for later).
    func deliveries() throws -> [Delivery] {
        guard let data = FileManager.default.contents(atPath: logPath) else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast() // after the last newline: empty, or a line still being written
        return try lines.filter { !$0.isEmpty }.map { try decoder.decode(Delivery.self, from: Data($0)) }
    }

    /// Polls until at least `count` requests were seen, for at most `timeout` seconds; returns
    /// them all, or throws saying how many came.
    @discardableResult
    func waitFor(count: Int, timeout: Double = 10) throws -> [Delivery] {
        var seen: [Delivery] = []
        let reached = try waitUntil(timeout) {
            seen = try deliveries()
            return seen.count >= count
        }
        guard reached else {
            throw HarnessError("the webhook receiver saw \(seen.count) request(s) within \(timeout) s, expected \(count):\n\(child.stderr.suffix(2000))")
        }
        return seen
    }

    /// The receiver's stderr (its access log and any Python traceback).
    var stderr: String { child.stderr }
}
