import Foundation
import Testing
@testable import TaskFCGIKit

/// The pure parts of webhook delivery: signatures, secrets, URLs, which addresses are private,
/// and what each way a transfer can end means. No sockets.
@Suite struct WebhookSigningTests {
    /// The test vector the Standard Webhooks specification and its reference libraries publish.
    static let vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func signsTheStandardWebhooksTestVector() throws {
        let secret = try WebhookSecret(Self.vectorSecret)
        let signature = secret.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330,
                                         body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func hmacMatchesRFC4231TestCase2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let digest = HMACSHA256.digest(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(digest.map { String(format: "%02x", $0) }.joined()
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMACSHA256.digest(key: [], message: []).count == 32)
    }

    @Test func secretsAcceptUnpaddedBase64AndSurroundingNewlines() throws {
        let key = Data((1...32).map { UInt8($0) }).base64EncodedString()
        #expect(key.hasSuffix("="))
        let padded = try WebhookSecret("whsec_" + key)
        #expect(try WebhookSecret("whsec_" + key.replacingOccurrences(of: "=", with: "") + "\n") == padded)
        #expect(padded.key == (1...32).map { UInt8($0) })
    }

    @Test(arguments: [
        ("", "empty"),
        ("   \n", "empty"),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "does not start with \"whsec_\""),
        ("whsec_not*base64!", "not valid base64"),
        ("whsec_c2hvcnQ=", "5 bytes"),
        ("whsec_" + Data(repeating: 7, count: 65).base64EncodedString(), "65 bytes"),
    ])
    func badSecretsSayWhatIsWrongWithoutShowingThemselves(text: String, problem: String) throws {
        let error = try #require(throws: WebhookSecretError.self) { try WebhookSecret(text) }
        #expect(error.message.contains(problem), "\(error.message)")
        let body = text.dropFirst("whsec_".count)
        if body.count > 4 { #expect(!error.message.contains(body)) }
    }

    @Test func secretFilesGiveTheirFirstLineAndNameTheFileInErrors() throws {
        let folder = try makeTempFolder(#function)
        defer { removeFolder(folder) }
        let good = folder + "/secret", bad = folder + "/bad", missing = folder + "/none"
        try "\(Self.vectorSecret)\nsecond line is ignored\n".write(toFile: good, atomically: true, encoding: .utf8)
        try "whsec_%%%%\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(try WebhookSecret.load(file: good) == WebhookSecret(Self.vectorSecret))
        let invalid = try #require(throws: WebhookSecretError.self) { try WebhookSecret.load(file: bad) }
        #expect(invalid.message.hasPrefix(bad + ": ") && invalid.message.contains("base64"))
        let absent = try #require(throws: WebhookSecretError.self) { try WebhookSecret.load(file: missing) }
        #expect(absent.message.contains("cannot read") && absent.message.contains(missing))
    }

    @Test func secretsDoNotPrintTheirKey() throws {
        let secret = try WebhookSecret(Self.vectorSecret)
        #expect(!"\(secret)".contains("MfKQ9r8"))
        let request = WebhookRequest(url: "https://example.com", id: "m", timestamp: 1, body: [], secret: secret)
        #expect("\(request)".contains("hidden") && !"\(request)".contains("\(secret.key)"))
    }

    @Test(arguments: [
        "https://example.com", "http://example.com:8080/hooks?x=1", "HTTPS://Example.COM/a",
        "http://127.0.0.1:9/x", "http://[::1]:8080/", "https://xn--bcher-kva.example/",
    ])
    func acceptsAbsoluteHTTPURLs(text: String) throws {
        let url = try WebhookURL.check(text)
        #expect(url.text == text)
        #expect(!url.host.isEmpty && !url.host.hasPrefix("["))
    }

    @Test(arguments: [
        ("", "empty"),
        ("example.com/hooks", "not an absolute URL"),
        ("/hooks", "not an absolute URL"),
        ("ftp://example.com/x", "uses ftp:"),
        ("file:///etc/passwd", "uses file:"),
        ("gopher://example.com/", "uses gopher:"),
        ("http:///path", "has no host"),
        ("https://", "has no host"),
        ("https://exa mple.com/", "spaces or control characters"),
        ("https://example.com/\n", "spaces or control characters"),
        ("https://user:hunter2@example.com/", "user name or password"),
        ("http://example.com:99999/", "port 99999"),
    ])
    func refusesOtherURLsNamingTheProblem(text: String, problem: String) throws {
        let error = try #require(throws: WebhookURLError.self) { try WebhookURL.check(text) }
        #expect(error.message.contains(problem), "\(error.message)")
        #expect(!error.message.contains("hunter2"))
    }

    @Test func literalAddressesAreFoundInURLs() throws {
        #expect(try WebhookURL.check("http://10.1.2.3/").literalAddress == IPAddress("10.1.2.3"))
        #expect(try WebhookURL.check("http://[fe80::1]:80/").literalAddress == IPAddress("fe80::1"))
        #expect(try WebhookURL.check("https://example.com/").literalAddress == nil)
    }

    @Test(arguments: [
        "127.0.0.1", "127.255.255.254", "::1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "0.0.0.0", "0.1.2.3", "::",
        "100.64.0.1", "100.127.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "::ffff:192.168.0.1", "224.0.0.1", "255.255.255.255", "ff02::1", "::127.0.0.1",
    ])
    func privateAddressesAreRecognised(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(PrivateNetworks.isPrivate(address), "\(text) should be private")
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "192.169.0.1", "100.63.255.255", "100.128.0.1",
        "11.0.0.1", "169.253.0.1", "2001:4860:4860::8888", "2606:4700::1111", "fec0::1", "::ffff:8.8.8.8",
    ])
    func publicAddressesAreNot(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(!PrivateNetworks.isPrivate(address), "\(text) should be public")
    }

    @Test func outcomesFollowTheStatusAndHowTheTransferEnded() throws {
        let client = WebhookClient(allowPrivateNetworks: false, connectTimeout: .seconds(5), totalTimeout: .milliseconds(1500))
        func outcome(_ end: CurlPost.End) -> DeliveryOutcome { client.outcome(of: end, host: "hooks.example") }
        #expect(outcome(.response(status: 200, location: nil, body: [])) == .delivered(status: 200))
        #expect(outcome(.response(status: 204, location: nil, body: [])) == .delivered(status: 204))
        #expect(outcome(.response(status: 410, location: nil, body: [])) == .gone)
        #expect(outcome(.response(status: 500, location: nil, body: [])) == .failed("HTTP 500"))
        #expect(outcome(.response(status: 503, location: nil, body: Array("  busy,\r\n try\tlater ".utf8))) == .failed("HTTP 503: busy, try later"))
        #expect(outcome(.response(status: 302, location: "http://x/elsewhere", body: [])) == .failed("HTTP 302: redirect to http://x/elsewhere not followed"))
        #expect(outcome(.timedOut(whileConnecting: false)) == .failed("timed out after 1.5 s"))
        // The connect timeout can be no longer than the whole.
        #expect(outcome(.timedOut(whileConnecting: true)) == .failed("could not connect within 1.5 s"))
        #expect(WebhookClient(allowPrivateNetworks: false, connectTimeout: .seconds(2)).outcome(of: .timedOut(whileConnecting: true), host: "x")
            == .failed("could not connect within 2 s"))
        #expect(outcome(.connectionRefused) == .failed("connection refused"))
        #expect(outcome(.unresolvedHost) == .failed("cannot resolve host hooks.example"))
        let refused = outcome(.privateAddress(try #require(IPAddress("127.0.0.1")), kind: "loopback"))
        #expect(refused == .refused("hooks.example resolves to 127.0.0.1, which is a loopback address; private networks are not allowed for webhooks"))
        let long = outcome(.response(status: 500, location: nil, body: Array(repeating: UInt8(ascii: "x"), count: 1024)))
        #expect("\(long)".count < 300)
    }

    @Test func headersCarryTheStandardWebhooksTriple() throws {
        let secret = try WebhookSecret(Self.vectorSecret)
        let request = WebhookRequest(url: "https://example.com", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330,
                                     body: Array(#"{"test": 2432232314}"#.utf8), secret: secret)
        let headers = WebhookClient(allowPrivateNetworks: false).headers(for: request)
        #expect(headers.contains("webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek"))
        #expect(headers.contains("webhook-timestamp: 1614265330"))
        #expect(headers.contains("webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))
        #expect(headers.contains("content-type: application/json") && headers.contains("user-agent: TaskFCGI"))
    }

    @Test func privateLiteralsAreRefusedWithoutConnecting() throws {
        let secret = try WebhookSecret(Self.vectorSecret)
        let client = WebhookClient(allowPrivateNetworks: false)
        for url in ["http://127.0.0.1:9/", "http://[::1]:9/", "http://[::ffff:169.254.169.254]/latest"] {
            let outcome = client.deliver(WebhookRequest(url: url, id: "m", timestamp: 1, body: [], secret: secret))
            guard case .refused(let reason) = outcome else { Issue.record("\(url): \(outcome)"); continue }
            #expect(reason.contains("not allowed"))
        }
        let bad = client.deliver(WebhookRequest(url: "ftp://example.com/", id: "m", timestamp: 1, body: [], secret: secret))
        #expect(bad == .refused("the webhook URL \"ftp://example.com/\" uses ftp:, not http: or https:"))
    }
}
