import Foundation
import Testing

extension IntegrationTests {
    /// The worker on a listening socket it inherits instead of creating: from spawn-fcgi (fd 0) or
    /// from a systemd socket unit (`LISTEN_FDS`, fd 3; deploy/taskfcgi.socket). The test plays the
    /// supervisor: it owns the socket, and the socket must outlive each worker so the next one
    /// (a restart) can serve from it, as socket activation promises.
    @Suite("Inherited socket (spawn-fcgi, systemd)")
    struct InheritedSocket {
        enum Style: String, CaseIterable, CustomTestStringConvertible {
            case spawnFCGI = "spawn-fcgi (fd 0)"
            case systemd = "systemd (LISTEN_FDS, fd 3)"
            var testDescription: String { rawValue }
        }

        /// Starts a worker whose listening socket is `socket` (already bound and listening), the
        /// way `style` hands it over, and waits for its `started` line.
        static func startWorker(_ box: Sandbox, socket: Int32, style: Style) throws -> ChildProcess {
            let binary = try Tools.taskfcgi()
            let handle = FileHandle(fileDescriptor: socket, closeOnDealloc: false)
            let worker: ChildProcess
            switch style {
            case .spawnFCGI:
                worker = try box.start("worker", binary, ["--config", box.configPath], stdin: handle)
            case .systemd:
                // sh moves the socket to fd 3 and names its own pid, which exec keeps.
                let script = "exec 3<&0 </dev/null; LISTEN_FDS=1 LISTEN_PID=$$ exec \"$0\" --config \"$1\""
                worker = try box.start("worker", "/bin/sh", ["-c", script, binary, box.configPath], stdin: handle)
            }
            let marker = "started (pid \(worker.pid), listening on inherited socket"
            guard waitUntil(10, { box.log.contains(marker) || !worker.isRunning }), worker.isRunning else {
                worker.stop(grace: 1)
                throw HarnessError("the worker did not start on the inherited socket: \(worker.ending.map { "\($0)" } ?? "?"); stderr:\n\(worker.stderr)\nlog:\n\(box.logTail())")
            }
            return worker
        }

        /// A sandbox whose config leaves `listen` out, the supervisor's listening socket at
        /// `box.socketPath` (held by the test, as systemd or spawn-fcgi hold it), nginx in front.
        final class Supervised {
            let box: Sandbox
            let socket: Int32
            let nginx: Nginx

            init() throws {
                box = try Sandbox()
                do {
                    try box.writeConfig(["listen": NSNull()])
                    socket = try UnixSocket.listen(at: box.socketPath)
                    nginx = try box.startNginx()
                } catch {
                    box.close()
                    throw error
                }
            }

            /// Stops everything, then closes the socket.
            func close() {
                box.close()
                Glibc.close(socket)
            }
        }

        @Test("a restarted worker serves from the same inherited socket", arguments: Style.allCases)
        func socketOutlivesTheWorker(style: Style) throws {
            let supervised = try Supervised()
            defer { supervised.close() }
            let (box, socket, nginx) = (supervised.box, supervised.socket, supervised.nginx)
            let http = HTTPClient(port: nginx.port, folder: box.folder)

            let first = try Self.startWorker(box, socket: socket, style: style)
            let served = try http.get("/tasks")
            #expect(served.status == 200, "\(served)\nlog:\n\(box.logTail())\nnginx:\n\(nginx.errorLog)")

            first.send(SIGTERM)
            #expect(first.waitForExit(10) == .exited(0), "stderr: \(first.stderr)")
            // The socket is the supervisor's: the worker must neither remove nor break it.
            #expect(Sandbox.isSocket(box.socketPath), "the worker removed the inherited socket file")
            #expect(UnixSocket.canConnect(box.socketPath), "the supervisor's socket refuses connections after the worker stopped")

            let startsBefore = occurrences(of: "[main] taskfcgi ", in: box.log)
            let second = try Self.startWorker(box, socket: socket, style: style)
            // The socket file exists already: wait for the new process to say it started (its
            // threads are running from then on) before counting them.
            #expect(waitUntil(10) { occurrences(of: "[main] taskfcgi ", in: box.log) > startsBefore }, "\(box.logTail())")
            // Its 4 request threads must be alive (besides the main and the job thread); when
            // accept() fails they end silently and the worker runs on without serving anything.
            // The started line precedes the threads' start by a moment: first see them all, then
            // make sure none ends.
            var threads = 0
            let counted = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(second.pid)/task"))?.count ?? 0 }
            #expect(waitUntil(5) { counted() >= 6 }, "the restarted worker never had its request threads: \(counted())")
            let lostThreads = waitUntil(0.3) {
                threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(second.pid)/task"))?.count ?? 0
                return threads < 6
            }
            #expect(!lostThreads, "the restarted worker has \(threads) threads: its request threads have ended\n\(box.logTail())")
            let again = try http.get("/tasks")
            #expect(again.status == 200, "after a restart on the same socket: \(again.status)\nnginx:\n\(nginx.errorLog.suffix(1500))")
            second.send(SIGTERM)
            #expect(second.waitForExit(10) == .exited(0))
        }
    }
}
