import CSQLite

extension Connection {
    /// Runs `body`'s reads in one deferred read transaction: one snapshot, and SQLite's WAL read
    /// lock taken and released once (two `fcntl`) instead of once per statement. Inside a
    /// transaction already, `body` just runs in it.
    public func reading<T>(_ body: () throws -> T) throws -> T {
        guard sqlite3_get_autocommit(handle) != 0 else { return try body() }
        return try between("BEGIN", body)
    }
}
