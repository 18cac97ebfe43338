import Foundation

/// Unix-socket probes for the worker's listening socket.
enum UnixSocket {
    static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
        return address
    }

    /// Whether something accepts connections on the socket at `path`.
    static func canConnect(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = address(path)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }

    /// A listening socket at `path` (close-on-exec, so only a child given it explicitly inherits it),
    /// as spawn-fcgi or a systemd socket unit would create it.
    static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        var address = address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, 0o660) == 0, Glibc.listen(fd, 128) == 0 else {
            close(fd)
            throw HarnessError("cannot listen on \(path): errno \(errno)")
        }
        return fd
    }

    /// Binds a socket at `path` and closes it without unlinking: what a crashed worker leaves behind.
    static func leaveStale(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { close(fd) }
        var address = address(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind \(path) failed: errno \(errno)") }
    }

    /// Whether process `pid` has accepted the connection whose client end is `clientFD`: `ss`
    /// lists an accepted server end, with the client's inode as its peer and the owner's pid; one
    /// still in the listen queue has no owner.
    static func isAccepted(clientFD: Int32, by pid: Int32, folder: String) throws -> Bool {
        var info = stat()
        guard fstat(clientFD, &info) == 0 else { throw HarnessError("fstat failed") }
        let ss = try ChildProcess.run("ss", try Tools.find("ss"), ["-xpn"], folder: folder)
        return ss.stdout.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 7 && fields[7] == "\(info.st_ino)" && line.contains("pid=\(pid),")
        }
    }
}
