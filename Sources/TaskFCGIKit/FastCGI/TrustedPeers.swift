import Glibc
import Synchronization

/// The addresses allowed to connect to a TCP listener (`trustedProxies`: addresses or CIDR ranges,
/// IPv4 or IPv6): nginx's hosts. Checked on every accepted connection before a byte of it is
/// read; an IPv4 peer on a dual-stack socket (`::ffff:a.b.c.d`) matches its IPv4 entry. Unix-socket
/// peers pass (the socket file's mode guards those).
final class TrustedPeers: Sendable {
    private let allowed: [AddressRange]
    private let log: Log
    /// Refused addresses already logged, so a scanner cannot flood the log.
    private let reported = Mutex(Set<IPAddress>())

    /// `entries` were checked by the config (`Config.trustedProxies`); any that do not parse are left out.
    init(_ entries: [String], log: Log) {
        (allowed, self.log) = (entries.compactMap(AddressRange.init), log)
    }

    /// Whether the peer of connected socket `fd` may talk to us.
    func allows(_ fd: Int32) -> Bool {
        switch PeerAddress.of(fd) {
        case .unix: return true
        case .ip(let address, _):
            if allowed.contains(where: { $0.contains(address) }) { return true }
            report(address)
            return false
        case nil: return false
        }
    }

    private func report(_ address: IPAddress) {
        let first = reported.withLock { $0.count < 64 && $0.insert(address).inserted }
        guard first else { return }
        log.warning("http", "refused a FastCGI connection from \(address): not in trustedProxies")
    }
}
