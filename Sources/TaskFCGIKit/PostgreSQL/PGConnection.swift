#if PostgreSQL
import CPostgreSQL
import Foundation

/// One libpq connection, used by one thread at a time. Statements are written with SQLite's `?`
/// and `?NNN` placeholders (so jobs' SQL runs on both backends), rewritten once to `$NNN`,
/// prepared once per connection and executed with every value bound as a parameter. A broken
/// connection (a server restart, a failover) is re-established on the next call. Only this file
/// touches libpq.
public final class PGConnection: SQLExecutor {
    private var handle: OpaquePointer
    private var prepared: [String: String] = [:]
    /// Commands run after every (re)connect: time limits, LISTEN.
    private var setup: [String]

    /// Connects with `conninfo` (a URI or key=value pairs; libpq reads PGPASSFILE/.pgpass itself),
    /// and `password` when given apart from it; `setup` runs after every connect.
    public init(conninfo: String, password: String?, setup: [String] = []) throws {
        var keywords = ["dbname", "fallback_application_name"]
        var values = [conninfo, "taskfcgi"]
        if let password { keywords.append("password"); values.append(password) }
        // Without a connect_timeout libpq waits for the operating system, minutes for a dead host.
        if !conninfo.contains("connect_timeout") { keywords.append("connect_timeout"); values.append("5") }
        let connected = Self.connect(keywords, values)
        // Thrown before `handle` is set: once every stored property is, a throwing init runs
        // `deinit`, whose PQfinish would free the handle a second time (a request thread's
        // first connection made while the server was down crashed the worker so).
        guard PQstatus(connected) == CONNECTION_OK else {
            let message = Self.connectionMessage(connected)
            PQfinish(connected)
            throw PostgresError(sqlState: "08001", message: message, sql: nil)
        }
        handle = connected
        self.setup = setup
        PQsetNoticeProcessor(handle, { _, _ in }, nil)  // NOTICEs would go to stderr
        for command in setup { try execute(command) }
    }

    deinit { PQfinish(handle) }

    private static func connect(_ keywords: [String], _ values: [String]) -> OpaquePointer {
        let keys = keywords.map { strdup($0) } + [nil]
        let vals = values.map { strdup($0) } + [nil]
        defer { (keys + vals).forEach { free($0) } }
        return keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { keyPointers in
            vals.map { UnsafePointer($0) }.withUnsafeBufferPointer { valuePointers in
                PQconnectdbParams(keyPointers.baseAddress, valuePointers.baseAddress, 1)!
            }
        }
    }

    /// libpq's message, which never contains the password (it may name host, user and database).
    private static func connectionMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `command` now and again after every reconnect (a LISTEN, say).
    public func keep(_ command: String) throws {
        try execute(command)
        setup.append(command)
    }

    /// The server's version as a number (150004 for 15.4).
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// How many times the connection was re-established; what a session had (LISTEN, say) was
    /// gone in between, and notifications sent meanwhile are lost.
    public private(set) var reconnects = 0
    /// The setup commands must run (again) before anything else: a reconnect, or a failed run.
    private var needsSetup = false

    /// Whether libpq still thinks the connection is up (it finds out on the next read).
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Re-establishes a broken connection now rather than at the next statement.
    public func reconnect() throws { try ensureConnected() }

    /// Re-establishes a broken connection (after a server restart or failover), once per call.
    private func ensureConnected() throws {
        if PQstatus(handle) != CONNECTION_OK {
            PQreset(handle)
            prepared.removeAll()
            guard PQstatus(handle) == CONNECTION_OK else {
                throw PostgresError(sqlState: "08006", message: Self.connectionMessage(handle), sql: nil)
            }
            needsSetup = true
            reconnects += 1
        }
        guard needsSetup else { return }
        needsSetup = false
        do { for command in setup { try execute(command) } } catch {
            needsSetup = true  // a connection without its LISTEN would never hear a notification
            throw error
        }
    }

    /// Runs one or more statements without parameters (schema, settings).
    public func execute(_ sql: String) throws {
        try ensureConnected()
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue]) throws -> Int {
        try withResult(sql, values) { result in Int(String(cString: PQcmdTuples(result))) ?? 0 }
    }

    public func query(_ sql: String, _ values: [SQLValue]) throws -> [[SQLValue]] {
        try rows(sql, values) { row in (0..<row.count).map(row.value) }
    }

    /// Runs a query and maps each row.
    public func rows<T>(_ sql: String, _ values: [SQLValue], map: (PGRow) throws -> T) throws -> [T] {
        try withResult(sql, values) { result in
            try (0..<PQntuples(result)).map { try map(PGRow(result: result, row: $0)) }
        }
    }

    /// Runs a query and maps its first row, if any.
    public func firstRow<T>(_ sql: String, _ values: [SQLValue], map: (PGRow) throws -> T) throws -> T? {
        try withResult(sql, values) { result in
            PQntuples(result) > 0 ? try map(PGRow(result: result, row: 0)) : nil
        }
    }

    /// `body` in a transaction when `wanted` (a write that queues follow-up work must commit
    /// with it), else as it is (a single statement is atomic by itself).
    func maybeTransaction<T>(_ wanted: Bool, _ body: () throws -> T) throws -> T {
        wanted ? try transaction(body) : try body()
    }

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if PQstatus(handle) == CONNECTION_OK { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// True when a NOTIFY arrived on a channel this connection LISTENs to (consumed here). Reading
    /// is also how a dropped connection is noticed: libpq marks it broken on end of file.
    public func notified() -> Bool {
        guard PQstatus(handle) == CONNECTION_OK else { return false }
        PQconsumeInput(handle)
        var any = false
        while let notice = PQnotifies(handle) {
            any = true
            PQfreemem(notice)
        }
        return any
    }

    private func withResult<T>(_ sql: String, _ values: [SQLValue], _ read: (OpaquePointer) throws -> T) throws -> T {
        try ensureConnected()
        let name = try statementName(sql)
        let texts: [UnsafeMutablePointer<CChar>?] = values.map { value in
            switch value {
            case .int(let number): return strdup(String(number))
            case .text(let text): return strdup(text)
            case .null: return nil
            }
        }
        defer { texts.forEach { free($0) } }
        let result = texts.map { UnsafePointer($0) }.withUnsafeBufferPointer { pointers in
            PQexecPrepared(handle, name, Int32(values.count), pointers.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        try check(result, sql: sql)
        return try read(result!)
    }

    private func statementName(_ sql: String) throws -> String {
        if let name = prepared[sql] { return name }
        let name = "s\(prepared.count + 1)"
        let result = PQprepare(handle, name, Self.positional(sql), 0, nil)
        defer { PQclear(result) }
        try check(result, sql: sql)
        prepared[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK else { return }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        var message = result.map { String(cString: PQresultErrorMessage($0)) } ?? ""
        if message.isEmpty { message = Self.connectionMessage(handle) }
        // With the connection gone, the statement's fate is unknown; say so as "down".
        let down = PQstatus(handle) != CONNECTION_OK
        throw PostgresError(sqlState: down ? "08006" : state, message: message.trimmingCharacters(in: .whitespacesAndNewlines), sql: sql)
    }

    /// `?NNN` → `$NNN` and each bare `?` → the next `$n`, outside quotes, comments and dollar quotes.
    static func positional(_ sql: String) -> String { Placeholders.positional(sql) }
}

/// One row of a result, read by column index; valid only inside the closure it is handed to.
public struct PGRow {
    fileprivate let result: OpaquePointer
    fileprivate let row: Int32

    /// How many columns the row has.
    public var count: Int32 { PQnfields(result) }
    /// The column as an integer (0 for NULL or text that is not one).
    public func int(_ column: Int32) -> Int64 { optionalInt(column) ?? 0 }
    /// The column as an integer, nil for NULL.
    public func optionalInt(_ column: Int32) -> Int64? {
        guard PQgetisnull(result, row, column) == 0 else { return nil }
        return Int64(String(cString: PQgetvalue(result, row, column)))
    }
    /// The column as text ("" for NULL).
    public func text(_ column: Int32) -> String { optionalText(column) ?? "" }
    /// The column as text, nil for NULL.
    public func optionalText(_ column: Int32) -> String? {
        guard PQgetisnull(result, row, column) == 0 else { return nil }
        let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(PQgetlength(result, row, column))), as: UTF8.self)
    }
    /// The column as a value: integer types as integers, everything else as text.
    public func value(_ column: Int32) -> SQLValue {
        guard PQgetisnull(result, row, column) == 0 else { return .null }
        switch PQftype(result, column) {
        case 20, 21, 23: return .int(int(column))  // int8, int2, int4
        default: return .text(text(column))
        }
    }
}

@available(*, unavailable)
extension PGConnection: Sendable {}
#endif
