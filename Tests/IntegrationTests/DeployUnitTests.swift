import Foundation
import Testing

extension IntegrationTests {
    /// The systemd units in deploy/ as an operator installs them.
    @Suite("systemd units")
    struct DeployUnitTests {
        /// The package's folder, found from this file.
        static func packageFolder(_ filePath: String = #filePath) -> String {
            var folder = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            while folder.path != "/", !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                folder.deleteLastPathComponent()
            }
            return folder.path
        }

        @Test("systemd-analyze verify passes on taskfcgi.socket and taskfcgi.service (binary path substituted); the socket survives a service restart; TimeoutStopSec exceeds stopTimeout")
        func unitsVerify() throws {
            let box = try Sandbox()
            defer { box.close() }
            let deploy = Self.packageFolder() + "/deploy/"
            let service = try String(contentsOfFile: deploy + "taskfcgi.service", encoding: .utf8)
            let socket = try String(contentsOfFile: deploy + "taskfcgi.socket", encoding: .utf8)
            try service.replacingOccurrences(of: "/usr/local/bin/taskfcgi", with: try Tools.taskfcgi())
                .write(toFile: box.folder + "/taskfcgi.service", atomically: true, encoding: .utf8)
            try socket.write(toFile: box.folder + "/taskfcgi.socket", atomically: true, encoding: .utf8)
            let verify = try ChildProcess.run("systemd-analyze", try Tools.find("systemd-analyze"),
                                              ["verify", box.folder + "/taskfcgi.socket", box.folder + "/taskfcgi.service"],
                                              folder: box.folder)
            // Unknown keys are only warnings (exit 0): any line naming our units fails the test.
            let complaints = (verify.stdout + verify.stderr).split(separator: "\n").filter { $0.contains("taskfcgi.s") }
            #expect(verify.ending == .exited(0) && complaints.isEmpty, "\(verify.ending.map { "\($0)" } ?? "?"): \(verify.stdout)\(verify.stderr)")

            // The socket file lives in the service's runtime directory, which a restart must keep.
            let lines = service.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(socket.contains("ListenStream=/run/taskfcgi/"))
            #expect(lines.contains("RuntimeDirectory=taskfcgi") && lines.contains("RuntimeDirectoryPreserve=yes"))
            let stopLine = lines.first { $0.hasPrefix("TimeoutStopSec=") }
            let stopSeconds = stopLine.flatMap { Int($0.dropFirst("TimeoutStopSec=".count)) } ?? 0
            #expect(stopSeconds > 10, "TimeoutStopSec=\(stopSeconds) must exceed the default stopTimeout of 10 s")
        }
    }
}
