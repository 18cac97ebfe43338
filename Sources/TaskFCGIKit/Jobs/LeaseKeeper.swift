import Foundation

/// Keeps the job lease for this process: renews it while held, tries to take it while standing
/// by. Only the holder runs jobs, so workers sharing a database never run a job twice at once;
/// when a holder dies (even by kill -9) its lease expires and a stand-by takes over within `ttl`
/// plus one stand-by check (at most a second).
struct LeaseKeeper {
    /// This process's holder id: `host:pid:random`, unique even when a pid is reused.
    let identity: Lease
    let ttl: Interval
    /// Until when our lease is certainly valid by our own clock (nil: we do not hold it).
    private(set) var validUntil: Instant?
    private(set) var nextAttempt: Instant

    init(ttl: Interval, now: Instant) {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(getpid())
        let holder = "\(host):\(pid):\(String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16))"
        identity = Lease(holder: holder, pid: pid, host: host, acquiredAt: now, expiresAt: now)
        self.ttl = ttl
        nextAttempt = now
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
            if try store.acquireLease(lease, now: now) {
                validUntil = now.adding(ttl)
                nextAttempt = now.adding(renewEvery)
                announcedStandby = false
                return (held ? .none : .acquired, nil)
            }
            validUntil = nil
            nextAttempt = now.adding(standbyEvery)
            if hadLease { announcedStandby = true; return (.lost, nil) }
            if !announcedStandby { announcedStandby = true; return (.standingBy, nil) }
            return (.none, nil)
        } catch {
            // Keep what we had until it expires; try again soon.
            nextAttempt = now.adding(.seconds(1))
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
