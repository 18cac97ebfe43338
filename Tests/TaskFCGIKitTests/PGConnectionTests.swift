#if PostgreSQL
import Foundation
import TestPostgres
import Testing
@testable import TaskFCGIKit

/// The libpq connection's life across failures, without a server where none is needed.
@Suite struct PGConnectionTests {
    /// Nothing listens on port 1 of the loopback: every connect is refused at once.
    static let refused = "host=127.0.0.1 port=1 user=postgres dbname=postgres"

    @Test func aRefusedConnectThrowsAndFreesItsHandleOnce() {
        // A handle freed twice (once by the failed init, once by deinit) aborted the process.
        for _ in 0..<50 {
            #expect {
                _ = try PGConnection(conninfo: Self.refused, password: "not-shown", setup: [])
            } throws: { error in
                let failure = error as? PostgresError
                return failure?.isDown == true && failure?.message.contains("Connection refused") == true
                    && !"\(error)".contains("not-shown")
            }
        }
    }

    @Test func aDroppedListenerIsNoticedReconnectedAndListensAgain() throws {
        guard Backend.all.contains(.postgres), let server = PostgresServer.shared else { return }
        let conninfo = try server.createDatabase()
        let listener = try PGConnection(conninfo: conninfo, password: nil)
        try listener.keep("LISTEN t")
        let pid = try #require(try listener.firstRow("SELECT pg_backend_pid()", []) { $0.int(0) })
        let other = try PGConnection(conninfo: conninfo, password: nil)
        try other.run("SELECT pg_terminate_backend(?::int)", [.int(pid)])

        // Reading finds the end of the connection; nothing is reported as a notification.
        #expect(waitFor { _ = listener.notified(); return !listener.isConnected })
        try listener.reconnect()
        #expect(listener.isConnected && listener.reconnects == 1)
        try other.execute("NOTIFY t")
        #expect(waitFor { listener.notified() }, "the LISTEN was not issued again after the reconnect")
    }

    /// Polls for up to 5 s.
    private func waitFor(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<250 {
            if try condition() { return true }
            usleep(20_000)
        }
        return false
    }
}
#endif
