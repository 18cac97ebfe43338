/// The addresses a webhook may not reach unless `allowPrivateNetworks` is on: this host, the
/// local networks and whatever is not a public unicast address. A webhook URL is chosen by
/// whoever configures it, so without this a delivery could probe or poke internal services.
enum PrivateNetworks {
    /// The refused ranges. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are refused through their
    /// IPv4 range, since `IPAddress` keeps them as IPv4.
    static let ranges: [(range: AddressRange, name: String)] = [
        ("0.0.0.0/8", "\"this network\""),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF-reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        // The deprecated IPv4-compatible form, `::a.b.c.d`.
        ("::/96", "IPv4-compatible"),
        ("64:ff9b:1::/48", "local NAT64"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    ].map { (AddressRange($0.0)!, $0.1) }

    /// The kind of network `address` belongs to ("loopback", "private", …), or nil for a public one.
    static func kind(of address: IPAddress) -> String? {
        ranges.first { $0.range.contains(address) }?.name
    }

    /// Whether a webhook to `address` needs `allowPrivateNetworks`.
    static func isPrivate(_ address: IPAddress) -> Bool { kind(of: address) != nil }
}
