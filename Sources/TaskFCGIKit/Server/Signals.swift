import Glibc

/// Signals are taken on the main thread only: blocked before any other thread starts (threads
/// inherit the mask) and received with `sigwait`, so no handler ever runs inside a request.
enum Signals {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1]

    /// Blocks the handled signals in this thread and every thread it starts; ignores SIGPIPE so a
    /// write to a closed socket fails with EPIPE instead of killing the process.
    static func blockForThreads() {
        signal(SIGPIPE, SIG_IGN)
        var set = makeSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits up to `seconds` for the next handled signal; nil when none came.
    static func wait(seconds: Int) -> Int32? {
        var set = makeSet()
        var timeout = timespec(tv_sec: seconds, tv_nsec: 0)
        let received = sigtimedwait(&set, nil, &timeout)
        return received > 0 ? received : nil
    }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        case SIGUSR1: return "SIGUSR1"
        default: return "signal \(signal)"
        }
    }

    private static func makeSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }
}
