#if PostgreSQL
import Foundation
import Testing
import TaskFCGIKit
import TestPostgres

extension IntegrationTests {
    /// A PostgreSQL connection string that cannot work stops the worker before it serves, with
    /// one line naming `connectionString` and never the password; a password from `passwordFile`
    /// works and appears nowhere. (A server too old cannot be started here: `PostgresSchemaTests`
    /// checks the version gate with the version libpq would report.)
    @Suite("PostgreSQL: connection strings and passwords")
    struct PostgresConfig {
        /// A role that must give its password (scram-sha-256 from 127.0.0.1) and owns a database
        /// of its own, on the shared server; the password is unique to this process.
        struct PasswordRole {
            let server: PostgresServer
            let role = "tfcgi_pw_\(getpid())"
            let password = "pw-" + UUID().uuidString.prefix(12).lowercased()
            let database: String

            init() throws {
                server = try #require(PostgresServer.shared, "no PostgreSQL server")
                database = "pwdb_\(getpid())_\(UUID().uuidString.prefix(6).lowercased())"
                if try server.psql("SELECT count(*) FROM pg_roles WHERE rolname = '\(role)'").hasPrefix("0") {
                    try server.psql("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
                    try server.prependHBA("host all \(role) 127.0.0.1/32 scram-sha-256")
                } else {
                    try server.psql("ALTER ROLE \(role) PASSWORD '\(password)'")
                }
                try server.psql("CREATE DATABASE \(database) OWNER \(role)")
                // The reload is asynchronous: wait until a connection without the password is refused.
                let conninfo = "host=127.0.0.1 port=\(server.port) user=\(role) dbname=\(database)"
                let enforced = waitUntil(5) { (try? PGConnection(conninfo: conninfo, password: nil)) == nil }
                guard enforced else { throw HarnessError("pg_hba.conf's scram line for \(role) did not take effect") }
            }

            /// key=value pairs for this role and database, without a password.
            var conninfo: String { "host=127.0.0.1 port=\(server.port) user=\(role) dbname=\(database)" }
        }

        /// Ways a connection string fails, each with what the one stderr line must say.
        enum BadString: String, CaseIterable, CustomTestStringConvertible {
            case wrongPasswordInURI, wrongPasswordInPairs, wrongPasswordFile, unreachableHost, noSchemaToCreateIn,
                 noCreatePrivilege
            var testDescription: String { rawValue }

            /// The config overrides and the cause the message must name.
            func config(_ role: PasswordRole, secret: String, folder: String) throws -> ([String: Any], String) {
                let port = role.server.port
                switch self {
                case .wrongPasswordInURI:
                    return (["connectionString": "postgresql://\(role.role):\(secret)@127.0.0.1:\(port)/\(role.database)"],
                            "password authentication failed")
                case .wrongPasswordInPairs:
                    return (["connectionString": role.conninfo + " password=\(secret)"], "password authentication failed")
                case .wrongPasswordFile:
                    let file = folder + "/pgpassword"
                    try (secret + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                    return (["connectionString": role.conninfo, "passwordFile": file], "password authentication failed")
                case .unreachableHost:
                    // Nothing listens on port 1 of the loopback.
                    return (["connectionString": "host=127.0.0.1 port=1 user=postgres dbname=postgres password=\(secret)"],
                            "Connection refused")
                case .noSchemaToCreateIn:
                    return (["connectionString": role.conninfo + " password=\(role.password) options=-csearch_path=nonexistent"],
                            "no schema has been selected to create in")
                case .noCreatePrivilege:
                    // PostgreSQL 15 lets only a database's owner create in its public schema.
                    let db = try role.server.createDatabaseNamed()
                    return (["connectionString": "host=127.0.0.1 port=\(port) user=\(role.role) dbname=\(db) password=\(role.password)"],
                            "permission denied for schema public")
                }
            }
        }

        @Test("a bad PostgreSQL connection string: exit 78 from --check-config and from a start, one stderr line naming connectionString, never the password", arguments: BadString.allCases)
        func badConnectionString(_ bad: BadString) throws {
            let role = try PasswordRole()
            let box = try Sandbox()
            defer { box.close() }
            let secret = "wrong-" + UUID().uuidString.prefix(10).lowercased()
            let (config, cause) = try bad.config(role, secret: secret, folder: box.folder)
            try box.writeConfig(config)
            for arguments in [["--check-config", "--config", box.configPath], ["--config", box.configPath]] {
                let run = try box.runTaskfcgi(arguments, timeout: 15)
                let lines = run.stderr.split(separator: "\n")
                #expect(run.ending == .exited(78), "\(arguments): \(run.ending!) \(run.stderr)")
                #expect(lines.count == 1, "\(arguments): stderr has \(lines.count) lines: \(run.stderr)")
                let line = String(lines.first ?? "")
                #expect(line.hasPrefix("taskfcgi: \(box.configPath): connectionString: cannot open the database "), "\(line)")
                #expect(line.contains(cause), "the line does not say why (\(cause)): \(line)")
                for password in [secret, role.password] {
                    #expect(!run.stderr.contains(password) && !run.stdout.contains(password), "the password is shown: \(run.stderr)")
                }
                #expect(!box.log.contains(secret) && !box.log.contains(role.password), "the password is in the log:\n\(box.log)")
            }
        }

        @Test("passwordFile: the password read from a file opens the database; it appears in no page, log line, /status or stderr")
        func passwordFromFile() throws {
            let role = try PasswordRole()
            let file = FileManager.default.temporaryDirectory.path + "/tfcgi-pw-\(UUID().uuidString.prefix(8))"
            try (role.password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            defer { unlink(file) }
            let database = try PostgresDatabase(on: role.server, name: role.database, connectionString: role.conninfo)
            let cluster = try Cluster(workers: 1, config: ["passwordFile": file], postgres: database)
            defer { cluster.close() }
            let worker = try cluster.requireHolder()

            let created = try cluster.quickCreate(port: worker.http.port, title: "with a password file", due: "2030-01-01T10:00")
            #expect(created.status == 303 && created.id != nil, "\(created)")
            #expect(try cluster.box.sqlInt("SELECT count(*) FROM tasks WHERE title = 'with a password file'") == 1)
            #expect(try cluster.box.sql("SELECT tableowner FROM pg_tables WHERE tablename = 'tasks'") == [[role.role]],
                    "the worker did not connect as \(role.role)")
            var seen = ""
            for path in ["/tasks", "/tasks/\(created.id ?? 0)", "/jobs", "/status", "/healthz", "/metrics", "/nosuchpage"] {
                let response = try worker.http.get(path)
                #expect(response.status < 500, "\(path): \(response.status)")
                seen += response.body + response.headers.map { $0.name + $0.value }.joined()
            }
            #expect(!seen.contains(role.password), "a page shows the password")
            #expect(worker.log.contains("database host=127.0.0.1 port=\(role.server.port) user=\(role.role)"), "\(cluster.diagnostics)")
            #expect(!worker.log.contains(role.password), "the log shows the password")
            #expect(!worker.process.stderr.contains(role.password) && !worker.process.stdout.contains(role.password))
        }
    }
}
#endif
