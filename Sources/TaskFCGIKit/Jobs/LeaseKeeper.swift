import Foundation

/// Keeps the job lease for this process: renews it while held, tries to take it while standing by.
/// Only the holder runs jobs, and every batch it writes is fenced by the lease's generation, so
/// workers sharing a database never run a job twice at once. A stand-by takes over by
/// compare-and-swap on the exact row it read: when that lease has expired, or at once when its
/// holder was a process on this machine that no longer exists (the worker we replace after a crash).
final class LeaseKeeper {
    /// This process as a lease holder; `generation` and times are filled in when it takes the lease.
    let identity: Lease
    let ttl: Interval
    /// The lease as we hold it (nil: we do not).
    private(set) var held: Lease?
    /// Until when our lease is certainly valid by our own clock.
    private(set) var validUntil: Instant?
    private(set) var nextAttempt: Instant
    /// Failed attempts in a row (the database was locked, read-only, gone).
    private(set) var failures = 0
    /// Whether the log was told we stand by since we last held the lease.
    private var announcedStandby = false

    init(ttl: Interval, now: Instant) {
        let machine = Self.machineID
        let pid = Int(getpid())
        let random = String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
        identity = Lease(holder: "\(machine.prefix(8)):\(Self.pidNamespace):\(pid):\(random)", pid: pid,
                         host: ProcessInfo.processInfo.hostName, machine: machine, generation: 0,
                         acquiredAt: now, expiresAt: now)
        self.ttl = ttl
        nextAttempt = now
    }

    /// This boot of this machine: the kernel's boot id (a pid means something only within one boot),
    /// else the machine id, else the hostname.
    static let machineID: String = {
        for file in ["/proc/sys/kernel/random/boot_id", "/etc/machine-id"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                let id = text.filter { $0.isHexDigit }
                if !id.isEmpty { return id }
            }
        }
        return ProcessInfo.processInfo.hostName
    }()

    /// Which pid numbering a pid belongs to (containers on one machine differ).
    static let pidNamespace: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .filter(\.isNumber) : "0"
    }()

    /// The fence our runs write under, while we hold the lease.
    var fence: Fence? { held.map { Fence(holder: $0.holder, generation: $0.generation, ttl: ttl) } }

    /// A lease held by a process of this machine and pid namespace that no longer exists.
    func heldByDeadLocalProcess(_ lease: Lease) -> Bool {
        let prefix = "\(identity.machine.prefix(8)):\(Self.pidNamespace):\(lease.pid):"
        guard lease.holder != identity.holder, lease.machine == identity.machine, lease.holder.hasPrefix(prefix),
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

    /// Takes or renews the lease when an attempt is due.
    func refresh(_ store: JobStore, now: Instant) -> (Change, Error?) {
        if held != nil, !holds(at: now) {
            // Our own clock says the lease ran out before we renewed it (a pause, failed renewals):
            // a new generation is needed before any more work.
            return (lost(), nil)
        }
        guard now >= nextAttempt else { return (.none, nil) }
        do {
            if let fence {
                guard try store.renewLease(fence, now: now) else { return (lost(), nil) }
                renewed(at: now)
                return (.none, nil)
            }
            return try takeIfFree(store, now: now)
        } catch {
            // Keep what we had until it expires, retrying every second; a stand-by backs off.
            failures += 1
            nextAttempt = now.adding(held != nil ? .seconds(1) : retryBackoff(failures: failures))
            return (.none, error)
        }
    }

    private func takeIfFree(_ store: JobStore, now: Instant) throws -> (Change, Error?) {
        let current = try store.currentLease()
        failures = 0
        let dead = current.map(heldByDeadLocalProcess) ?? false
        if let current, current.expiresAt > now, !dead {
            nextAttempt = now.adding(standbyEvery)
            if announcedStandby { return (.none, nil) }
            announcedStandby = true
            return (.standingBy, nil)
        }
        var claim = identity
        (claim.acquiredAt, claim.expiresAt) = (now, now.adding(ttl))
        guard let taken = try store.takeLease(claim, replacing: current, expiredAt: dead ? nil : now) else {
            // Another stand-by swapped the row first: look again soon.
            nextAttempt = now.adding(standbyEvery)
            return (.none, nil)
        }
        held = taken
        announcedStandby = false
        renewed(at: now)
        return (.acquired, nil)
    }

    /// A fenced write (or a renewal) at `now` pushed the lease's expiry on.
    func renewed(at now: Instant) {
        guard held != nil else { return }
        validUntil = now.adding(ttl)
        nextAttempt = now.adding(renewEvery)
        failures = 0
    }

    /// The lease is gone (a fenced write was refused, a renewal found another holder, it expired).
    @discardableResult
    func lost() -> Change {
        held = nil
        validUntil = nil
        announcedStandby = true
        return .lost
    }

    /// Gives the lease up at a clean stop.
    func release(_ store: JobStore) {
        guard let fence else { return }
        lost()
        try? store.releaseLease(fence)
    }
}
