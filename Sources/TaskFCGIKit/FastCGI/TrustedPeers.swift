import Glibc
import Synchronization

/// The addresses allowed to connect to a TCP listener (`trustedProxies`): nginx's hosts. Checked
/// on every accepted connection, before libfcgi reads a byte of it; unix-socket peers pass (the
/// socket file's mode guards those).
final class TrustedPeers: Sendable {
    private let allowed: Set<UInt32>
    private let log: Log
    /// Refused addresses already logged, so a scanner cannot flood the log.
    private let reported = Mutex(Set<UInt32>())

    init(_ addresses: [String], log: Log) {
        var set = Set<UInt32>()
        for text in addresses {
            var address = in_addr()
            if inet_pton(AF_INET, text, &address) == 1 { set.insert(address.s_addr) }
        }
        (allowed, self.log) = (set, log)
    }

    /// Whether the peer of connected socket `fd` may talk to us.
    func allows(_ fd: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard named == 0 else { return false }
        if Int32(storage.ss_family) == AF_UNIX { return true }
        guard Int32(storage.ss_family) == AF_INET else { return false }
        let peer = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        }
        if allowed.contains(peer.s_addr) { return true }
        report(peer)
        return false
    }

    private func report(_ peer: in_addr) {
        let first = reported.withLock { $0.count < 64 && $0.insert(peer.s_addr).inserted }
        guard first else { return }
        var address = peer
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
        log.warning("http", "refused a FastCGI connection from \(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)): not in trustedProxies")
    }
}
