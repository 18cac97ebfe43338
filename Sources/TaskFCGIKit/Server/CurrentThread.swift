import Glibc

/// Per-thread settings Linux offers through `/proc/thread-self` and `setpriority`; Glibc's Swift
/// module exports neither gettid nor pthread_setname_np, and Foundation's `Thread.name` does not
/// reach the kernel here.
enum CurrentThread {
    /// Names the calling thread for `ps -L`, `top -H` and core dumps (Linux keeps 15 bytes).
    static func setName(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Makes the calling thread `steps` nicer than it is (at most 19): Linux keeps a nice value
    /// per thread. False if Linux refused.
    static func lowerPriority(by steps: Int32) -> Bool {
        guard let thread = id() else { return false }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, thread)
        if current == -1, errno != 0 { return false }
        return setpriority(which, thread, min(current + steps, 19)) == 0
    }

    /// The kernel's id of the calling thread, from `/proc/thread-self` (a link to `PID/task/TID`).
    static func id() -> id_t? {
        var target = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/thread-self", &target, target.count - 1)
        guard length > 0 else { return nil }
        let text = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "/").last.flatMap { id_t($0) }
    }
}
