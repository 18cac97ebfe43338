import Foundation

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of 24 to 64 random bytes.
/// Its description never shows the key, so it can be logged or printed in an error by mistake.
public struct WebhookSecret: Equatable, Sendable, CustomStringConvertible {
    /// The HMAC key: the base64-decoded part after `whsec_`.
    let key: [UInt8]

    /// The prefix every Standard Webhooks secret carries.
    public static let prefix = "whsec_"
    /// The key lengths the specification asks for, in bytes.
    public static let keyLengths = 24...64

    /// Parses `whsec_<base64>` (padded or not); surrounding spaces and newlines are ignored.
    public init(_ text: String) throws(WebhookSecretError) {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw WebhookSecretError("the webhook secret is empty") }
        guard text.hasPrefix(Self.prefix) else {
            throw WebhookSecretError("the webhook secret does not start with \"\(Self.prefix)\" (the Standard Webhooks format is whsec_ followed by base64)")
        }
        var encoded = String(text.dropFirst(Self.prefix.count))
        // The reference implementations accept unpadded base64; Foundation wants the padding.
        if encoded.count % 4 != 0 { encoded += String(repeating: "=", count: 4 - encoded.count % 4) }
        guard let data = Data(base64Encoded: encoded) else {
            throw WebhookSecretError("the webhook secret after \"\(Self.prefix)\" is not valid base64")
        }
        guard Self.keyLengths.contains(data.count) else {
            throw WebhookSecretError("the webhook secret's key is \(data.count) bytes; Standard Webhooks keys are \(Self.keyLengths.lowerBound) to \(Self.keyLengths.upperBound) bytes")
        }
        key = Array(data)
    }

    /// The secret on the first line of `file` (what a secrets manager or `systemd-creds` writes).
    public static func load(file: String) throws(WebhookSecretError) -> WebhookSecret {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw WebhookSecretError("cannot read the webhook secret file \(file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WebhookSecretError("the webhook secret file \(file) is not UTF-8 text")
        }
        let firstLine = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        do {
            return try WebhookSecret(String(firstLine))
        } catch {
            throw WebhookSecretError("\(file): \(error.message)")
        }
    }

    /// The `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return "v1," + Data(HMACSHA256.digest(key: key, message: signed)).base64EncodedString()
    }

    /// Says what the secret is without showing the key.
    public var description: String { "whsec_… (\(key.count)-byte key, hidden)" }
}

/// Why a webhook secret was refused. The message names the problem, never the secret.
public struct WebhookSecretError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, in words a person can act on.
    public let message: String

    /// An error saying `message`.
    init(_ message: String) { self.message = message }

    public var description: String { message }
}
