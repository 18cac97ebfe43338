import Foundation
import Testing
@testable import TaskFCGIKit

/// Which backend a connection string names, and how it is shown with its password masked.
@Suite struct DatabaseLocationTests {
    @Test(arguments: [
        "postgresql://taskfcgi@db.internal/tasks?sslmode=require", "postgres://localhost/tasks",
        "POSTGRESQL://db/tasks", "host=db.internal dbname=tasks", "dbname=tasks", " host = 127.0.0.1 port=5432",
        "service=taskfcgi",
    ])
    func postgresStrings(_ text: String) {
        #expect(DatabaseLocation.isPostgres(text))
    }

    @Test(arguments: ["tasks.db", "/srv/tasks.db", "file:/srv/tasks.db?mode=rwc", "state/a=b.db", "hosts.db"])
    func sqliteStrings(_ text: String) {
        #expect(!DatabaseLocation.isPostgres(text))
    }

    @Test(arguments: [
        ("postgresql://taskfcgi:s3cret@db.internal/tasks", "postgresql://taskfcgi:***@db.internal/tasks"),
        ("postgresql://u:p%40ss@db1,db2/tasks?target_session_attrs=read-write",
         "postgresql://u:***@db1,db2/tasks?target_session_attrs=read-write"),
        ("postgresql://db/tasks?user=u&password=s3cret&sslmode=require", "postgresql://db/tasks?user=u&password=***&sslmode=require"),
        ("host=db password=s3cret dbname=tasks", "host=db password=*** dbname=tasks"),
        ("host=db password = 's3 cr\\'et' dbname=tasks", "host=db password = *** dbname=tasks"),
        ("postgresql://taskfcgi@db/tasks", "postgresql://taskfcgi@db/tasks"),
        ("host=db dbname=tasks", "host=db dbname=tasks"),
    ])
    func passwordsAreMasked(_ text: String, _ shown: String) {
        #expect(DatabaseLocation.postgres(text).displayed == shown)
        #expect(!DatabaseLocation.postgres(text).displayed.contains("s3"))
    }

    private func load(_ json: String, files: [String: String] = [:]) throws -> Config {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        for (name, content) in files { try content.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        try json.write(toFile: folder + "/taskfcgi.json", atomically: true, encoding: .utf8)
        return try Config.load(path: folder + "/taskfcgi.json")
    }

    @Test func aPostgresConnectionStringIsKeptAsGiven() throws {
        let config = try load(#"{ "connectionString": "host=db dbname=tasks", "logPath": "-", "passwordFile": "pw" }"#,
                              files: ["pw": "s3cret\n"])
        #expect(config.database == .postgres("host=db dbname=tasks"))
        #expect(config.password == "s3cret")
    }

    @Test func passwordFileProblemsNameTheKey() throws {
        let missing = #expect(throws: ConfigError.self) {
            try load(#"{ "connectionString": "host=db", "logPath": "-", "passwordFile": "nope" }"#)
        }
        #expect(missing?.key == "passwordFile")
        let sqlite = #expect(throws: ConfigError.self) {
            try load(#"{ "connectionString": "tasks.db", "logPath": "-", "passwordFile": "pw" }"#, files: ["pw": "x"])
        }
        #expect(sqlite?.key == "passwordFile")
        #expect(sqlite?.problem.contains("only for a PostgreSQL") == true)
    }

    #if !PostgreSQL
    @Test func aPlainBuildSaysHowToBuildWithPostgreSQL() throws {
        let folder = try makeTempFolder()
        defer { removeFolder(folder) }
        let file = folder + "/taskfcgi.json"
        try #"{ "connectionString": "postgresql://u:s3cret@db/tasks", "logPath": "-" }"#.write(toFile: file, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try Startup.prepare(configPath: file) }
        #expect(error?.key == "connectionString")
        #expect(error?.problem.contains("--traits PostgreSQL") == true)
        #expect(error.map { "\($0)" }?.contains("s3cret") == false)
    }
    #endif
}
