import Glibc

/// An IP address as bytes: 4 for IPv4, 16 for IPv6. An IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`, how a dual-stack socket shows an IPv4 peer) is kept as the IPv4 one.
struct IPAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
    }

    init(bytes: [UInt8]) {
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
        self.bytes = bytes.count == 16 && Array(bytes.prefix(12)) == mapped ? Array(bytes.suffix(4)) : bytes
    }

    var isIPv4: Bool { bytes.count == 4 }

    /// 127.0.0.0/8 or ::1.
    var isLoopback: Bool {
        isIPv4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    /// 0.0.0.0 or `::`: a socket bound to every address.
    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = bytes
        _ = inet_ntop(isIPv4 ? AF_INET : AF_INET6, &raw, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An address or a CIDR range of them (`10.0.0.5`, `10.0.0.0/24`, `fd00::/8`), from `trustedProxies`.
struct AddressRange: Equatable, Sendable {
    let network: IPAddress
    let prefix: Int

    /// Parses `text`; nil when it is neither an address nor a range.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        var prefix = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), parts[1].allSatisfy(\.isNumber), given >= 0 else { return nil }
            // A mapped range written in IPv6 (`::ffff:10.0.0.0/104`) counts its prefix in the IPv6 bits.
            prefix = address.isIPv4 && parts[0].contains(":") ? given - 96 : given
            guard prefix >= 0, prefix <= bits else { return nil }
        }
        (network, self.prefix) = (address, prefix)
    }

    /// Whether `address` lies in the range.
    func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var left = prefix
        for (mine, theirs) in zip(network.bytes, address.bytes) {
            guard left > 0 else { return true }
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if mine & mask != theirs & mask { return false }
            left -= 8
        }
        return true
    }
}

/// A socket's far or near end, as the trust rules and the log need it.
enum PeerAddress: CustomStringConvertible {
    case ip(IPAddress, port: UInt16)
    /// A unix socket peer, with its process id when the kernel tells.
    case unix(pid: Int32?)

    /// The peer of connected socket `fd`.
    static func of(_ fd: Int32) -> PeerAddress? { read(fd, peer: true) }

    /// The address socket `fd` is bound to.
    static func local(_ fd: Int32) -> PeerAddress? { read(fd, peer: false) }

    var description: String {
        switch self {
        case .ip(let address, let port): return address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        case .unix(let pid): return pid.map { "the unix socket peer (pid \($0))" } ?? "the unix socket peer"
        }
    }

    private static func read(_ fd: Int32, peer: Bool) -> PeerAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard named == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET, AF_INET6:
            let found = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { PeerAddress.ip(from: $0) }
            }
            return found.map { .ip($0.address, port: $0.port) }
        case AF_UNIX:
            return .unix(pid: peer ? credentialsPID(fd) : nil)
        default:
            return nil
        }
    }

    /// The address and port in `address`, an AF_INET or AF_INET6 socket address that really is
    /// as long as its family says (a `sockaddr_in6` for IPv6); nil for any other family.
    static func ip(from address: UnsafePointer<sockaddr>) -> (address: IPAddress, port: UInt16)? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
                var raw = inet.pointee.sin_addr
                return (IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) }), UInt16(bigEndian: inet.pointee.sin_port))
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { inet in
                var raw = inet.pointee.sin6_addr
                return (IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) }), UInt16(bigEndian: inet.pointee.sin6_port))
            }
        default:
            return nil
        }
    }

    private static func credentialsPID(_ fd: Int32) -> Int32? {
        // struct ucred (pid, uid, gid), which Glibc's Swift module leaves out.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else { return nil }
        return credentials.pid
    }
}
