import COpenSSL

/// HMAC-SHA256 from OpenSSL's libcrypto, the only place that touches COpenSSL: the webhook
/// signatures are the library's arithmetic, never ours.
enum HMACSHA256 {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    static func digest(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // An empty array may have no storage (a nil pointer, which OpenSSL reads as "no key"):
        // one unread byte more gives both a real address.
        let keyStorage = key + [0], messageStorage = message + [0]
        let result = keyStorage.withUnsafeBytes { keyBytes in
            messageStorage.withUnsafeBufferPointer { messageBytes in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(key.count),
                     messageBytes.baseAddress, message.count, &output, &length)
            }
        }
        // HMAC fails only when libcrypto cannot allocate or has no SHA-256: nothing to recover.
        precondition(result != nil && length == 32, "OpenSSL's HMAC-SHA256 failed")
        return Array(output.prefix(Int(length)))
    }
}
