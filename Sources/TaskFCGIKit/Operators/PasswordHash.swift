import CCrypt
import Glibc

/// Checks a password against a stored hash with the system's libcrypt, the only place that
/// touches CCrypt: the hashing is the library's, with the method, cost and salt the hash names.
enum PasswordHash {
    /// The prefixes of the bcrypt hashes `htpasswd -B` writes (and older tools wrote).
    static let bcryptPrefixes = ["$2y$", "$2b$", "$2a$"]

    /// Whether `hash` is a bcrypt hash we accept.
    static func isBcrypt(_ hash: String) -> Bool { bcryptPrefixes.contains { hash.hasPrefix($0) } }

    /// Whether `password` hashes to `hash` (bcrypt only). The result is compared in constant time.
    static func verify(_ password: String, against hash: String) -> Bool {
        guard isBcrypt(hash), !password.utf8.contains(0) else { return false }
        // `struct crypt_data` is about 32 KiB: on the heap, zeroed as crypt_r requires.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let output = crypt_r(password, hash, data) else { return false }
        let computed = Array(String(cString: output).utf8)
        // libxcrypt signals failure with a string starting "*", never a valid hash.
        guard computed.first != UInt8(ascii: "*") else { return false }
        return ConstantTime.equal(computed, Array(hash.utf8))
    }
}

/// Comparisons whose time does not depend on where two secrets differ.
enum ConstantTime {
    /// Whether `a` and `b` are equal, looking at every byte of the longer one whatever they hold.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count) | UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
