import Foundation
import TestPostgres

/// A database on a test PostgreSQL server that a sandbox's workers share instead of its SQLite
/// file: `connectionString` is what the workers are configured with (it may name several hosts),
/// while the harness's own SQL goes through psql to `server`, which a test may point at another
/// server (the promoted replica after a failover).
final class PostgresDatabase: @unchecked Sendable {
    private let lock = NSLock()
    private var current: PostgresServer
    let name: String
    let connectionString: String

    /// A new empty database on `server` (the test process's shared server by default), or a
    /// `name` that already exists there; `connectionString` defaults to the superuser on it.
    init(on server: PostgresServer? = nil, name: String? = nil, connectionString: String? = nil) throws {
        guard let server = server ?? PostgresServer.shared else {
            throw HarnessError("no PostgreSQL server could be started (Debian: postgresql)")
        }
        current = server
        self.name = try name ?? server.createDatabaseNamed()
        self.connectionString = connectionString ?? server.conninfo(self.name)
    }

    /// The server the harness's SQL goes to.
    var server: PostgresServer {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    /// Runs SQL with psql; each output row's columns split on `|` (NULL is empty, as with sqlite3).
    func sql(_ statement: String) throws -> [[String]] {
        let output: String
        do { output = try server.psql(statement, database: name) } catch {
            throw HarnessError("psql \"\(statement.prefix(300))\" failed: \(error)")
        }
        return output.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }
}
