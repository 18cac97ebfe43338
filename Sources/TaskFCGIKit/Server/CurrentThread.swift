import Glibc

/// Glibc's Swift module does not export pthread_setname_np, and Foundation's `Thread.name` does
/// not reach the kernel here; `/proc/thread-self/comm` does.
enum CurrentThread {
    /// Names the calling thread for `ps -L`, `top -H` and core dumps (Linux keeps 15 bytes).
    static func setName(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
