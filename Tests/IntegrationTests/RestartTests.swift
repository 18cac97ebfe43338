import Foundation
import Synchronization
import Testing

extension IntegrationTests {
    /// Restarts and stops under load, as an operator does them: the socket handed over by a
    /// supervisor (systemd's `LISTEN_FDS` fd 3, or spawn-fcgi's fd 0) must let a restart drop
    /// nothing; a TCP listener must stop within the budget without cutting a request it took.
    @Suite("Restarts and stops under load")
    struct RestartTests {
        typealias Style = InheritedSocket.Style

        /// 32 nginx connections (GET and POST) and two slow FastCGI peers (connect, then send 0.5 s
        /// later) run against worker 1; it gets SIGTERM; worker 2 starts on the same socket 1 s
        /// later. Connections made meanwhile wait in the socket's queue: nothing but 2xx/3xx.
        @Test("SIGTERM under load, a new worker on the same socket 1 s later: only 2xx/3xx, every 303'd POST stored once",
              arguments: Style.allCases)
        func restartUnderLoadDropsNothing(style: Style) throws {
            let supervised = try InheritedSocket.Supervised()
            defer { supervised.close() }
            let (box, socket, nginx) = (supervised.box, supervised.socket, supervised.nginx)
            let first = try InheritedSocket.startWorker(box, socket: socket, style: style)

            let load = MixedLoad(port: nginx.port, folder: box.folder, clients: 32, prefix: "restart")
            let slow = SlowPeers(socket: box.socketPath, peers: 2)
            defer {
                load.stop()
                slow.stop()
            }
            let began = monotonicSeconds()
            #expect(waitUntil(20) { monotonicSeconds() - began >= 1 && load.outcomes.count >= 50 },
                    "the load did not get going: \(MixedLoad.summary(load.outcomes))\n\(box.logTail())")

            // A slow upload in flight at SIGTERM (its body comes 2.5 s after its params) keeps
            // worker 1 stopping for a while: meanwhile, it must accept nothing new.
            let upload = Mutex<FastCGIClient.Answer?>(nil)
            let uploading = DispatchGroup()
            uploading.enter()
            let holderFD = try FastCGIClient.unix(box.socketPath)
            Thread {
                let body = Array("title=slow+upload&due=2030-01-01T10%3A00".utf8)
                let answer = FastCGIClient.request("POST", "/tasks", body: body, contentType: "application/x-www-form-urlencoded",
                                                   on: holderFD, bodyDelay: 2.5, timeout: 30)
                upload.withLock { $0 = answer }
                uploading.leave()
            }.start()
            // Two peers worker 1 has accepted but that send nothing for 3 s: accepted is in flight,
            // though libfcgi has not seen a byte (the old stop counted only parsed requests).
            let quiet = try (0..<2).map { _ in try FastCGIClient.unix(box.socketPath) }
            let accepted = try waitUntil(10) {
                try (quiet + [holderFD]).allSatisfy { try UnixSocket.isAccepted(clientFD: $0, by: first.pid, folder: box.folder) }
            }
            #expect(accepted, "worker 1 did not accept the slow upload and the quiet peers")
            let quietAnswers = Mutex<[FastCGIClient.Answer]>([])
            for fd in quiet {
                uploading.enter()
                Thread {
                    let answer = FastCGIClient.get("/tasks", on: fd, delay: 3, timeout: 30)
                    quietAnswers.withLock { $0.append(answer) }
                    uploading.leave()
                }.start()
            }
            first.send(SIGTERM)
            let stopping = monotonicSeconds()
            // Six slow peers connect 2.2 s after SIGTERM, while worker 1 still finishes the upload,
            // and send 0.5 s later: had worker 1 accepted them, it would be gone by then.
            let probes = Mutex<[FastCGIClient.Answer]>([])
            let probing = DispatchGroup()
            for _ in 0..<6 {
                probing.enter()
                Thread {
                    waitUntil(5, every: 0.005) { monotonicSeconds() - stopping >= 2.2 }
                    let answer = (try? FastCGIClient.unix(box.socketPath)).map { FastCGIClient.get("/tasks", on: $0, delay: 0.5, timeout: 30) }
                    probes.withLock { $0.append(answer ?? FastCGIClient.Answer(status: nil, stdout: "cannot connect", ended: false)) }
                    probing.leave()
                }.start()
            }
            waitUntil(1.5) { monotonicSeconds() - stopping >= 1 }
            let second = try InheritedSocket.startWorker(box, socket: socket, style: style)
            let firstEnding = first.waitForExit(10)
            let stopSeconds = monotonicSeconds() - stopping
            #expect(firstEnding == .exited(0), "worker 1: \(String(describing: firstEnding)) \(first.stderr)")
            let before = load.outcomes.count
            #expect(waitUntil(20) { load.outcomes.count >= before + 100 }, "worker 2 did not take over:\n\(box.logTail())")
            #expect(load.stop() && slow.stop(), "the clients did not finish")

            let outcomes = load.outcomes
            let bad = outcomes.filter { !(200..<400).contains($0.status ?? 0) }
            #expect(bad.isEmpty, "\(bad.count) of \(outcomes.count) requests got neither 2xx nor 3xx (\(MixedLoad.summary(outcomes))): \(bad.prefix(5).map { "\($0.method) \($0.target) \($0.status.map(String.init) ?? $0.error ?? "?")" })\nnginx:\n\(nginx.errorLog.suffix(1500))")
            var stored: [String: Int] = [:]
            for row in try box.sql("SELECT title, count(*) FROM tasks WHERE title LIKE 'restart-%' GROUP BY title") where row.count == 2 {
                stored[row[0]] = Int(row[1])
            }
            let acknowledged = outcomes.filter { $0.status == 303 }.compactMap(\.title)
            let wrong = acknowledged.filter { stored[$0] != 1 }
            #expect(wrong.isEmpty, "\(wrong.count) acknowledged POSTs not stored exactly once: \(wrong.prefix(5))")
            #expect(stored.count == acknowledged.count, "\(stored.count) stored, \(acknowledged.count) acknowledged")

            #expect(probing.wait(timeout: .now() + 30) == .success && uploading.wait(timeout: .now() + 30) == .success)
            let uploaded = upload.withLock { $0 }
            #expect(uploaded?.ended == true && uploaded?.status == 303, "the upload in flight at SIGTERM: \(String(describing: uploaded))")
            let quietAnswered = quietAnswers.withLock { $0 }
            #expect(quietAnswered.count == 2 && quietAnswered.allSatisfy { $0.ended && $0.status == 200 },
                    "peers accepted before SIGTERM, silent for 3 s: \(quietAnswered.map { $0.status.map(String.init) ?? "cut" })")
            let probed = probes.withLock { $0 }
            #expect(probed.allSatisfy { $0.ended && $0.status == 200 },
                    "peers that connected just after SIGTERM: \(probed.map { $0.status.map(String.init) ?? "cut: \($0.stdout)" })")
            let answers = slow.all
            #expect(slow.connectFailures.isEmpty, "\(slow.connectFailures.prefix(3))")
            #expect(!answers.isEmpty && answers.allSatisfy { $0.ended && $0.status == 200 },
                    "slow peers: \(answers.map { "\($0.status.map(String.init) ?? "cut")" })")
            let stopLine = box.logLines.first { $0.contains("[main] stop took") } ?? "(no stop line)"
            print("[edge] restart (\(style.rawValue)): \(outcomes.count) requests (\(MixedLoad.summary(outcomes))), "
                  + "\(bad.count) other than 2xx/3xx; \(answers.count) slow peers all answered; worker 1: \(stopLine.components(separatedBy: "] ").last ?? "")")
            #expect(stopSeconds < 12)

            second.send(SIGTERM)
            #expect(second.waitForExit(10) == .exited(0))
            #expect(Sandbox.isSocket(box.socketPath) && UnixSocket.canConnect(box.socketPath), "the socket did not survive")
        }

        /// On its own TCP port the worker cannot leave connections for a successor: it serves what
        /// nginx queued for a short drain, then shuts the port (nginx may get 502 for what comes
        /// after), and every request it took is answered: the client saw exactly what it logged.
        @Test("TCP listener: SIGTERM under a 32-connection load exits 0 within 10 s; every request it took is answered")
        func tcpStopUnderLoad() throws {
            let box = try Sandbox()
            defer { box.close() }
            let port = try Nginx.freePort()
            try box.writeConfig(["listen": "127.0.0.1:\(port)"])
            let worker = try box.start("worker", try Tools.taskfcgi(), ["--config", box.configPath])
            #expect(waitUntil(10) { box.log.contains("started (pid \(worker.pid)") }, "\(worker.stderr)")
            let nginx = try box.startNginx(upstream: "127.0.0.1:\(port)")
            // libfcgi's own SIGTERM/SIGUSR1 handlers are gone: only the main thread's sigwait decides.
            let caught = Self.caughtSignals(worker.pid)
            #expect(caught & (1 << (SIGTERM - 1)) == 0 && caught & (1 << (SIGUSR1 - 1)) == 0,
                    "SigCgt \(String(caught, radix: 16)): a handler for SIGTERM or SIGUSR1 is installed")

            let load = MixedLoad(port: nginx.port, folder: box.folder, clients: 32, prefix: "tcp")
            defer { load.stop() }
            let began = monotonicSeconds()
            #expect(waitUntil(20) { monotonicSeconds() - began >= 1 && load.outcomes.count >= 50 }, "\(box.logTail())")
            worker.send(SIGTERM)
            let stopping = monotonicSeconds()
            let ending = worker.waitForExit(15)
            let took = monotonicSeconds() - stopping
            #expect(ending == .exited(0), "\(String(describing: ending)) \(worker.stderr)")
            // The budget is 10 s; a drain (≤ 1 s) and the requests in flight take far less.
            #expect(took <= 5, "the stop took \(took) s")
            #expect(load.stop())

            var logged: [String: Int] = [:]
            for line in AccessLine.all(in: box.log) { logged[line.target] = line.status }
            let outcomes = load.outcomes
            let cut = outcomes.filter { outcome in logged[outcome.target].map { $0 != outcome.status } ?? false }
            let unexpected = outcomes.filter { logged[$0.target] == nil && $0.status != 502 }
            #expect(cut.isEmpty, "\(cut.count) requests the worker answered reached the client otherwise: \(cut.prefix(5).map { "\($0.target) \($0.status.map(String.init) ?? $0.error ?? "?")" })")
            #expect(unexpected.isEmpty, "\(unexpected.count) requests not taken got other than 502: \(unexpected.prefix(5).map { "\($0.target) \($0.status.map(String.init) ?? $0.error ?? "?")" })")
            #expect(!box.log.contains("still busy"), "\(box.logTail())")
            print("[edge] TCP stop: exited \(String(format: "%.2f", took)) s after SIGTERM; \(outcomes.count) requests (\(MixedLoad.summary(outcomes))), \(cut.count) cut")
        }

        /// `SigCgt` from /proc: the signals the process has handlers for, bit n-1 for signal n.
        static func caughtSignals(_ pid: Int32) -> UInt64 {
            let status = Sandbox.read("/proc/\(pid)/status")
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }) else { return ~0 }
            return UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) ?? ~0
        }
    }
}
