import Foundation

/// Keeps the job lease for this process: renews it while held, tries to take it while standing
/// by. Only the holder runs jobs, so workers sharing a database never run a job twice at once;
/// when a holder dies (even by kill -9) its lease expires and a stand-by takes over within `ttl`
/// plus one stand-by check (at most a second) — at once when the dead holder was on this machine.
struct LeaseKeeper {
    /// This process's holder id: `host:pidNamespace:pid:random`, unique even when a pid is reused.
    let identity: Lease
    let ttl: Interval
    /// Until when our lease is certainly valid by our own clock (nil: we do not hold it).
    private(set) var validUntil: Instant?
    private(set) var nextAttempt: Instant
    /// Failed attempts in a row (the database was locked, read-only, gone).
    private(set) var failures = 0

    init(ttl: Interval, now: Instant) {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(getpid())
        let random = String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
        let holder = "\(host):\(LeaseKeeper.pidNamespace):\(pid):\(random)"
        identity = Lease(holder: holder, pid: pid, host: host, acquiredAt: now, expiresAt: now)
        self.ttl = ttl
        nextAttempt = now
    }

    /// Which pid numbering the pid in a holder id belongs to (containers on one host differ).
    private static let pidNamespace: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .filter(\.isNumber) : "0"
    }()

    /// A lease held by a process that no longer exists on this machine (the worker we replace after
    /// a crash, say): no need to wait for it to expire.
    func heldByDeadLocalProcess(_ lease: Lease) -> Bool {
        let prefix = "\(identity.host):\(LeaseKeeper.pidNamespace):\(lease.pid):"
        guard lease.holder != identity.holder, lease.host == identity.host, lease.holder.hasPrefix(prefix),
              lease.pid > 0, let pid = Int32(exactly: lease.pid) else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    /// Renewals happen three times per TTL, so one slow renewal does not lose the lease.
    var renewEvery: Interval { Interval(milliseconds: max(ttl.milliseconds / 3, 100)) }
    /// A stand-by looks this often, so it takes over soon after the lease expires.
    var standbyEvery: Interval { min(renewEvery, .seconds(1)) }

    /// Whether we may run jobs at `now`.
    func holds(at now: Instant) -> Bool { validUntil.map { now < $0 } ?? false }

    /// What changed in this refresh, for the log.
    enum Change: Equatable { case none, acquired, lost, standingBy }
    /// Whether the log was told we stand by since we last held the lease.
    private var announcedStandby = false

    /// Takes or renews the lease when an attempt is due.
    mutating func refresh(_ store: TaskStore, now: Instant) -> (Change, Error?) {
        let held = holds(at: now)
        // We held it when we last looked, even if it has run out since (a pause, failed renewals).
        let hadLease = validUntil != nil
        guard now >= nextAttempt else {
            // Our own clock says the lease ran out before we could renew it.
            if hadLease, !held { validUntil = nil; announcedStandby = true; return (.lost, nil) }
            return (.none, nil)
        }
        var lease = identity
        lease.acquiredAt = now
        lease.expiresAt = now.adding(ttl)
        do {
            // A dead local holder's lease counts as expired now.
            var asOf = now
            if !held, let current = try store.currentLease(), current.expiresAt > now, heldByDeadLocalProcess(current) {
                asOf = current.expiresAt
            }
            if try store.acquireLease(lease, now: asOf) {
                validUntil = now.adding(ttl)
                nextAttempt = now.adding(renewEvery)
                announcedStandby = false
                failures = 0
                return (held ? .none : .acquired, nil)
            }
            failures = 0
            validUntil = nil
            nextAttempt = now.adding(standbyEvery)
            if hadLease { announcedStandby = true; return (.lost, nil) }
            if !announcedStandby { announcedStandby = true; return (.standingBy, nil) }
            return (.none, nil)
        } catch {
            // Keep what we had until it expires, retrying every second; a stand-by backs off.
            failures += 1
            nextAttempt = now.adding(held ? .seconds(1) : JobSchedule.backoff(failures: failures))
            if !held { validUntil = nil }
            if hadLease, !held { announcedStandby = true; return (.lost, error) }
            return (.none, error)
        }
    }

    /// Gives the lease up at a clean stop.
    mutating func release(_ store: TaskStore) {
        guard validUntil != nil else { return }
        validUntil = nil
        try? store.releaseLease(holder: identity.holder)
    }
}
