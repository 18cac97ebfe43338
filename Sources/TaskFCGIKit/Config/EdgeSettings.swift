import Glibc

/// The FastCGI edge's keys: how long a stop may take, and who may connect to a TCP listener.
extension Config {
    /// The default whole-stop budget; `deploy/taskfcgi.service`'s `TimeoutStopSec` is 5 s more.
    public static let defaultStopTimeout = Interval.seconds(10)

    static func stopTimeout(_ root: ConfigReader) throws -> Interval {
        guard let timeout = try root.interval("stopTimeout") else { return defaultStopTimeout }
        // Below a second the split (drain, requests, jobs) leaves nothing for requests in flight.
        guard timeout >= .seconds(1), timeout <= .minutes(10) else {
            throw root.error("stopTimeout", "\(timeout) is out of range 1s…10m")
        }
        return timeout
    }

    /// A TCP `listen` beyond loopback lets any host that reaches it send FastCGI params (forged
    /// headers, nginx's access rules bypassed), so it must name the hosts allowed to connect.
    static func trustedProxies(_ root: ConfigReader, listen: ListenAddress) throws -> [String]? {
        let list = try root.strings("trustedProxies")
        for address in list ?? [] where AddressRange(address) == nil {
            throw root.error("trustedProxies", "\"\(address)\" is not an IPv4 or IPv6 address or a CIDR range (10.0.0.5, 10.0.0.0/24, fd00::/8)")
        }
        if let list, list.isEmpty {
            throw root.error("trustedProxies", "is empty: no host could connect; list nginx's addresses, or leave the key out")
        }
        if case .tcp(let host, let port) = listen, !isLoopback(host), list == nil {
            throw root.error("trustedProxies", "is required when listen is \(host):\(port), which is not a loopback address: list the addresses of the nginx hosts allowed to connect (anyone else could send FastCGI params directly)")
        }
        return list
    }

    /// 127.0.0.0/8.
    static func isLoopback(_ host: String) -> Bool {
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else { return false }
        return UInt32(bigEndian: address.s_addr) >> 24 == 127
    }
}

/// How connections from the front end are kept: deadlines per phase and how many may be open.
public struct ConnectionSettings: Equatable, Sendable {
    /// From a request's first byte to its last; a peer slower than this is cut off.
    public var requestReadTimeout = Interval.seconds(10)
    /// For the peer to take a response it is sent.
    public var responseWriteTimeout = Interval.seconds(10)
    /// A kept connection between requests; keep nginx's `keepalive_timeout` below it.
    public var idleTimeout = Interval.seconds(75)
    /// Connections open at once (`FCGI_MAX_CONNS`); more wait in the socket's queue.
    public var maxConnections = 1024
    /// A request taking longer than this gets one `[slow]` warning line with its phases.
    public var slowRequest = Interval.seconds(1)

    static let keys = ["requestReadTimeout", "responseWriteTimeout", "idleTimeout", "maxConnections", "slowRequest"]

    public init() {}

    init(_ root: ConfigReader) throws {
        for (key, path) in [("requestReadTimeout", \ConnectionSettings.requestReadTimeout),
                            ("responseWriteTimeout", \.responseWriteTimeout), ("idleTimeout", \.idleTimeout)] {
            guard let value = try root.interval(key) else { continue }
            guard value >= .milliseconds(100), value <= .hours(1) else {
                throw root.error(key, "\(value) is out of range 100ms…1h")
            }
            self[keyPath: path] = value
        }
        maxConnections = try root.integer("maxConnections", in: 1...65_536) ?? maxConnections
        if let slow = try root.interval("slowRequest") {
            guard slow >= .milliseconds(1), slow <= .hours(1) else {
                throw root.error("slowRequest", "\(slow) is out of range 1ms…1h (a request slower than this is logged with its phases)")
            }
            slowRequest = slow
        }
    }
}
