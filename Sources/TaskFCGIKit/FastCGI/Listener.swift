import Glibc

/// The listening socket nginx connects to: created from the config, or inherited from
/// spawn-fcgi (fd 0) or systemd socket activation (`LISTEN_FDS`, fd 3).
public final class Listener: Sendable {
    /// The listening descriptor.
    public let fd: Int32
    /// The unix socket file we created and must remove at exit.
    public let createdPath: String?
    /// Handed over by spawn-fcgi or systemd: theirs to close, not ours.
    public let isInherited: Bool

    /// Why the socket could not be set up; reported against the config key `listen`.
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ address: ListenAddress, environment: [String: String]) throws {
        switch address {
        case .unix(let path):
            fd = try Listener.unixSocket(path)
            createdPath = path
            isInherited = false
        case .tcp(let host, let port):
            fd = try Listener.tcpSocket(host: host, port: port)
            createdPath = nil
            isInherited = false
        case .inherited:
            fd = try Listener.inherited(environment)
            createdPath = nil
            isInherited = true
        }
        // Request threads wait in epoll, then accept: without O_NONBLOCK the loser of a race for
        // one connection (another worker on the same inherited socket) would block in accept,
        // where a stop cannot reach it. systemd's own `NonBlocking=yes` sets the same flag.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// The address of a TCP socket bound beyond loopback (any address included: `0.0.0.0`, `::`);
    /// nil for a unix socket or a loopback one.
    public var openBeyondLoopback: String? {
        guard case .ip(let address, let port)? = PeerAddress.local(fd), !address.isLoopback else { return nil }
        let shown = address.isUnspecified ? (address.isIPv4 ? "0.0.0.0 (every address)" : ":: (every address)") : "\(address)"
        return "\(shown), port \(port)"
    }

    /// What `--check-config` can tell without taking the address: a unix socket's folder must let
    /// us create the socket, and the path must not be some other file. A live socket is fine
    /// there (the worker being checked may be running); starting would still refuse it.
    public static func check(_ address: ListenAddress) throws {
        guard case .unix(let path) = address else { return }
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let directory = folder.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : folder
        guard access(directory, W_OK | X_OK) == 0 else {
            throw SetupError(description: "cannot create the socket \(path): the folder \(directory) is not writable (\(String(cString: strerror(errno))))")
        }
        var existing = stat()
        if lstat(path, &existing) == 0, existing.st_mode & S_IFMT != S_IFSOCK {
            throw SetupError(description: "\(path) exists and is not a socket; refusing to replace it")
        }
    }

    /// Removes the socket file we created: nginx's new connects fail at once instead of queueing.
    public func stopNewConnections() {
        if let createdPath { unlink(createdPath) }
    }

    /// Whether connections are queued, waiting for an accept.
    public func hasPendingConnections() -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLIN) != 0
    }

    /// Refuses new connections on a socket we own (a TCP peer gets a reset at once and nginx can
    /// try its next upstream); connections still queued are dropped. The descriptor stays open
    /// until `close()`, so no thread can ever accept on a reused descriptor number.
    public func shutDown() {
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Closes the descriptor once no thread uses it.
    public func close() { Glibc.close(fd) }

    private static let backlog: Int32 = 1024

    private static func unixSocket(_ path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
        }
        var existing = stat()
        if lstat(path, &existing) == 0 {
            // Only ever replace a socket: a typo must not delete the database or any other file.
            guard existing.st_mode & S_IFMT == S_IFSOCK else {
                throw SetupError(description: "\(path) exists and is not a socket; refusing to replace it")
            }
            // A live socket means another worker owns it; a dead one is left over from a crash.
            if try connects(address) { throw SetupError(description: "another process is already listening on \(path)") }
            unlink(path)
        }
        let fd = try make(socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        do {
            try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    _ = try make(bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)), "bind \(path)")
                }
            }
            // Set explicitly, not left to the umask: nginx's group may connect, nobody else.
            _ = try make(chmod(path, 0o660), "chmod 0660 \(path)")
            _ = try make(listen(fd, backlog), "listen on \(path)")
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    private static func connects(_ address: sockaddr_un) throws -> Bool {
        var address = address
        let probe = try make(socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        defer { Glibc.close(probe) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    private static func tcpSocket(host: String, port: UInt16) throws -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw SetupError(description: "\(host) is not an IPv4 address")
        }
        let fd = try make(socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), "socket")
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        do {
            try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    _ = try make(bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)), "bind \(host):\(port)")
                }
            }
            _ = try make(listen(fd, backlog), "listen on \(host):\(port)")
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    private static func inherited(_ environment: [String: String]) throws -> Int32 {
        // systemd: LISTEN_PID names us and LISTEN_FDS counts sockets from fd 3.
        let systemd = environment["LISTEN_PID"].flatMap(Int32.init) == getpid()
            && (environment["LISTEN_FDS"].flatMap(Int.init) ?? 0) >= 1
        let fd: Int32 = systemd ? 3 : 0
        var listening: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0, listening == 1 else {
            throw SetupError(description: "is not set and fd \(fd) is not a listening socket; set \"listen\" to a socket path or 127.0.0.1:PORT, or start taskfcgi from spawn-fcgi or a systemd socket unit")
        }
        return fd
    }

    private static func make(_ result: Int32, _ what: String) throws -> Int32 {
        guard result >= 0 else { throw SetupError(description: "\(what) failed: \(String(cString: strerror(errno)))") }
        return result
    }
}
