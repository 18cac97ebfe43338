import Foundation
import Testing

extension IntegrationTests {
    /// Every front-end config shipped in `deploy/`, checked by its own server's syntax check and
    /// then held to one table of (method, path, client address, credentials) → status, with a
    /// client on this machine's loopback and one on another of its addresses. The worker runs
    /// without `operators`, as the example config ships; a hand-written nginx site without any
    /// rules shows the worker refusing on its own.
    @Suite("One permission table for every shipped front end", .serialized)
    struct PermissionTable {
        static var available: [PermissionFrontEnd] {
            PermissionFrontEnd.allCases.filter { FileManager.default.isExecutableFile(atPath: $0.binary) || ProcessInfo.processInfo.environment["CI"] == "true" }
        }

        @Test("syntax check, then the table from loopback and from another local address", arguments: Self.available)
        func table(_ kind: PermissionFrontEnd) throws {
            guard let remote = LocalAddress.nonLoopbackIPv4() else {
                // A machine without any other address cannot host this test; CI machines have one.
                #expect(ProcessInfo.processInfo.environment["CI"] != "true", "no non-loopback IPv4 address on this machine")
                print("note: no non-loopback IPv4 address here; the permission table was skipped")
                return
            }
            let stack = try PermissionStack(kind)
            defer { stack.box.close() }
            let loopback = HTTPClient(port: stack.port, folder: stack.box.folder)
            let other = HTTPClient(port: stack.port, folder: stack.box.folder, connectTo: remote)
            // Run now answers 202 only once this worker holds the job lease.
            #expect(waitUntil(10) { (try? loopback.get("/api/jobs", headers: stack.siteLogin).body.contains("\"holdsLease\":true")) == true })
            var results: [String] = []
            for row in PermissionRow.table {
                let client = row.remote ? other : loopback
                // A POST with an empty body still says Content-Length: 0 (lighttpd wants one).
                let response = try client.request(row.method, row.path, headers: stack.siteLogin,
                                                  body: row.method == "POST" ? Data() : nil)
                results.append("\(row) → \(response.status)")
                #expect(response.status == row.expected, "\(kind): \(row) from \(row.remote ? remote : "127.0.0.1") got \(response)\n\(stack.box.logTail())")
            }
            print("permission table, \(kind):\n  " + results.joined(separator: "\n  "))
            // Whether the front end refused the strangers itself (its rules, the second line) or
            // left it to the worker: the worker's log shows which.
            let workerRefusals = AccessLine.all(in: stack.box.log).filter { $0.status == 403 }
            if kind.hasOperatorRules {
                #expect(workerRefusals.isEmpty, "\(kind) let an operator route through to the worker: \(workerRefusals)")
            } else {
                #expect(workerRefusals.count == PermissionRow.table.filter { $0.remote && $0.expected == 403 }.count)
            }
        }
    }
}

/// One row of the table: what a client sends and what it must get.
struct PermissionRow: CustomStringConvertible {
    var method: String
    var path: String
    /// From another address of this machine (else 127.0.0.1).
    var remote: Bool
    var expected: Int

    var description: String { "\(method) \(path) \(remote ? "other address" : "loopback")" }

    static let table: [PermissionRow] = [
        PermissionRow(method: "GET", path: "/healthz", remote: true, expected: 200),
        PermissionRow(method: "GET", path: "/tasks", remote: true, expected: 200),
        PermissionRow(method: "GET", path: "/status", remote: false, expected: 200),
        PermissionRow(method: "GET", path: "/metrics", remote: false, expected: 200),
        PermissionRow(method: "GET", path: "/jobs", remote: false, expected: 200),
        PermissionRow(method: "GET", path: "/api/jobs", remote: false, expected: 200),
        PermissionRow(method: "GET", path: "/api/audit", remote: false, expected: 200),
        PermissionRow(method: "POST", path: "/jobs/purgeCompletedTasks/run", remote: false, expected: 303),
        PermissionRow(method: "POST", path: "/api/jobs/purgeCompletedTasks/run", remote: false, expected: 202),
        PermissionRow(method: "POST", path: "/jobs/purgeCompletedTasks/pause", remote: false, expected: 303),
        PermissionRow(method: "POST", path: "/jobs/purgeCompletedTasks/resume", remote: false, expected: 303),
        PermissionRow(method: "POST", path: "/api/jobs/purgeCompletedTasks/pause", remote: false, expected: 200),
        PermissionRow(method: "POST", path: "/api/jobs/purgeCompletedTasks/resume", remote: false, expected: 200),
        PermissionRow(method: "GET", path: "/status", remote: true, expected: 403),
        PermissionRow(method: "GET", path: "/metrics", remote: true, expected: 403),
        PermissionRow(method: "GET", path: "/jobs", remote: true, expected: 403),
        PermissionRow(method: "GET", path: "/api/jobs", remote: true, expected: 403),
        PermissionRow(method: "GET", path: "/api/audit", remote: true, expected: 403),
        PermissionRow(method: "POST", path: "/jobs/purgeCompletedTasks/run", remote: true, expected: 403),
        PermissionRow(method: "POST", path: "/api/jobs/purgeCompletedTasks/run", remote: true, expected: 403),
        PermissionRow(method: "POST", path: "/jobs/purgeCompletedTasks/pause", remote: true, expected: 403),
        PermissionRow(method: "POST", path: "/jobs/purgeCompletedTasks/resume", remote: true, expected: 403),
        PermissionRow(method: "POST", path: "/api/jobs/purgeCompletedTasks/pause", remote: true, expected: 403),
        PermissionRow(method: "POST", path: "/api/jobs/purgeCompletedTasks/resume", remote: true, expected: 403),
    ]
}

/// This machine's addresses.
enum LocalAddress {
    /// The first IPv4 address of an interface that is up and not loopback, if any.
    static func nonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor?.pointee {
            defer { cursor = entry.ifa_next }
            guard let address = entry.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  entry.ifa_flags & UInt32(IFF_UP) != 0, entry.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count)) != nil else { continue }
            let result = String(cString: text)
            if !result.hasPrefix("127.") { return result }
        }
        return nil
    }
}
