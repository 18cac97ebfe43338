import Glibc

/// Where one request's time went, gathered on its own request thread: the wait for the SQLite
/// writer (`SharedWriter`) and the rendering of its page (`Layout`) are added by code deep below
/// the handler, which finds this meter through a thread-local pointer instead of an argument
/// threaded through every store. Threads without a meter (the job thread, tests) measure nothing.
final class RequestPhases {
    /// Nanoseconds spent waiting for the writer during the current request.
    var writerWait: UInt64 = 0
    /// Nanoseconds spent rendering during the current request.
    var render: UInt64 = 0
    /// The thread's `/status` slot, told when the request waits or renders.
    let slot: ThreadBoard.Slot?

    init(slot: ThreadBoard.Slot?) { self.slot = slot }

    /// Starts a request: the totals back to zero.
    func reset() { (writerWait, render) = (0, 0) }

    /// Makes this the calling thread's meter; the caller keeps it alive while installed.
    func install() { pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque()) }

    /// The calling thread has no meter any more.
    static func uninstall() { pthread_setspecific(key, nil) }

    /// The calling thread's meter, if it has one.
    static var current: RequestPhases? {
        pthread_getspecific(key).map { Unmanaged<RequestPhases>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Adds a wait for the writer to the calling thread's request.
    static func waitedForWriter(_ nanoseconds: UInt64) {
        current?.writerWait += nanoseconds
    }

    /// Runs `body` in `phase` (shown on `/status`), returning to the handler's phase after.
    static func during<T>(_ phase: ThreadBoard.Phase, _ body: () throws -> T) rethrows -> T {
        guard let slot = current?.slot else { return try body() }
        slot.enter(phase)
        defer { slot.enter(.handler) }
        return try body()
    }

    /// Runs `body` as rendering: its time counts as render, not handler.
    static func rendering<T>(_ body: () throws -> T) rethrows -> T {
        guard let meter = current else { return try body() }
        let start = monotonicNanoseconds()
        meter.slot?.enter(.render)
        defer {
            meter.render += monotonicNanoseconds() - start
            meter.slot?.enter(.handler)
        }
        return try body()
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
