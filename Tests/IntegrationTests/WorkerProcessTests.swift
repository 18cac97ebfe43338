import Foundation
import Testing

extension IntegrationTests {
    /// The `taskfcgi` binary on its own: no nginx. The job thread runs even though nobody ever
    /// connects to the listening socket.
    @Suite("Worker process (no nginx)")
    struct WorkerProcess {
        @Test("the job thread completes tasks inserted by another process, on time, and logs it")
        func jobCompletesTasksFromAnotherProcess() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let worker = try box.startWorker()

            // Another process writes the tasks; the worker notices through SQLite's data_version.
            let now = nowMilliseconds()
            let dues = [now + 1000, now + 1500, now + 2000]
            for (index, due) in dues.enumerated() {
                try box.sql("INSERT INTO tasks (title, due_at, created_at) VALUES ('cli task \(index)', \(due), \(now))")
            }
            #expect(try box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 0") == 3)

            let done = try waitUntil(6, every: 0.05) { try box.sqlInt("SELECT count(*) FROM tasks WHERE completed = 1") == 3 }
            #expect(done, "tasks not completed within 6 s; log:\n\(box.logTail())")
            for row in try box.sql("SELECT title, due_at, action_at FROM tasks ORDER BY due_at") {
                let due = Int64(row[1])!, action = Int64(row[2]) ?? -1
                #expect(action >= due && action - due <= 1000,
                        "\(row[0]): action_at \(action) is \(action - due) ms after due_at \(due); expected 0…1000 ms")
            }
            // The job's lines: one run may take several tasks, so count tasks, not lines.
            let logged = waitUntil(3) { Sandbox.completedByJob(box.log) == 3 }
            #expect(logged, "expected [job:completeDueTasks] completed lines adding up to 3 tasks; log:\n\(box.logTail())")
            #expect(box.log.contains("[job:completeDueTasks] completed"))
            #expect(worker.isRunning)
        }

        @Test("threads are named for ps -L and top -H")
        func threadsAreNamed() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig(["threads": 3])
            let worker = try box.startWorker()
            #expect(waitUntil(5) { box.log.contains("job thread started") }, "log:\n\(box.log)")

            func threadNames() -> Set<String> {
                let folder = "/proc/\(worker.pid)/task"
                let ids = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                return Set(ids.map { Sandbox.read("\(folder)/\($0)/comm").trimmingCharacters(in: .newlines) })
            }
            let expected: Set = ["taskfcgi-jobs", "taskfcgi-req1", "taskfcgi-req2", "taskfcgi-req3"]
            let named = waitUntil(5) { threadNames().isSuperset(of: expected) }
            #expect(named, "threads: \(threadNames())")
            #expect(!threadNames().contains("taskfcgi-req4"), "threads: \(threadNames())")
            #expect(worker.isRunning)
        }

        @Test("SIGHUP after the log was moved: the worker reopens it and writes into the new file")
        func sighupReopensTheLog() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let worker = try box.startWorker()
            #expect(waitUntil(5) { box.log.contains("started") }, "log:\n\(box.log)")

            let rotated = box.logPath + ".1"
            try FileManager.default.moveItem(atPath: box.logPath, toPath: rotated)
            #expect(!Sandbox.exists(box.logPath))
            worker.send(SIGHUP)

            let reopened = waitUntil(5) { Sandbox.read(box.logPath).contains("reopened") }
            #expect(reopened, "no new log with `reopened` at \(box.logPath); rotated file:\n\(Sandbox.read(rotated))")
            #expect(Sandbox.read(rotated).contains("started"))
            #expect(!Sandbox.read(rotated).contains("reopened"))

            // Later lines go to the new file too: make the job complete a task now.
            try box.sql("INSERT INTO tasks (title, due_at, created_at) VALUES ('after rotation', \(nowMilliseconds()), \(nowMilliseconds()))")
            let jobLine = waitUntil(5) { Sandbox.completedByJob(Sandbox.read(box.logPath)) == 1 }
            #expect(jobLine, "new log:\n\(Sandbox.read(box.logPath))")
            #expect(Sandbox.completedByJob(Sandbox.read(rotated)) == 0)
            #expect(worker.isRunning)
        }

        @Test("SIGTERM: exit 0 within 10 s, the log ends with `stopped`, the socket file is gone")
        func sigtermStopsCleanly() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let worker = try box.startWorker()
            #expect(waitUntil(5) { box.log.contains("job thread started") }, "log:\n\(box.log)")

            let began = monotonicSeconds()
            worker.send(SIGTERM)
            let ending = worker.waitForExit(10)
            #expect(ending == .exited(0), "ended: \(String(describing: ending)); stderr:\n\(worker.stderr)")
            #expect(monotonicSeconds() - began < 10)
            let last = box.logLines.last ?? ""
            #expect(last.hasSuffix("stopped"), "last log line: \(last)")
            #expect(box.log.contains("SIGTERM received: stopping"))
            #expect(!Sandbox.exists(box.socketPath), "the socket file is still there")
            // The WAL was checkpointed: the database file alone holds everything.
            var walInfo = stat()
            let wal = lstat(box.databasePath + "-wal", &walInfo) == 0 ? Int(walInfo.st_size) : 0
            #expect(wal == 0, "tasks.db-wal still holds \(wal) bytes")
        }

        @Test("a misspelled config key: exit 78 and stderr names the key and the file")
        func misspelledKeyIsRefused() throws {
            let box = try Sandbox()
            defer { box.close() }
            let config = try box.writeConfig(["jobs": ["completeDueTasks": ["intervl": "1s"]]])
            let run = try box.runTaskfcgi(["--config", config])
            #expect(run.ending == .exited(78), "stderr: \(run.stderr)")
            #expect(run.stderr.contains("jobs.completeDueTasks.intervl"), "stderr: \(run.stderr)")
            #expect(run.stderr.contains(config), "stderr: \(run.stderr)")
            #expect(!Sandbox.exists(box.socketPath))
        }

        @Test("--check-config: 0 on a good config, 78 on an unknown time zone; --version: 0")
        func checkConfigAndVersion() throws {
            let box = try Sandbox()
            defer { box.close() }
            let good = try box.writeConfig()
            let ok = try box.runTaskfcgi(["--check-config", "--config", good])
            #expect(ok.ending == .exited(0), "stdout: \(ok.stdout) stderr: \(ok.stderr)")
            #expect(ok.stdout.contains(good), "stdout: \(ok.stdout)")
            #expect(!Sandbox.exists(box.socketPath), "--check-config must not listen")

            let bad = try box.writeConfig(["timeZone": "Mars/Olympus_Mons"], to: box.folder + "/bad-zone.json")
            let refused = try box.runTaskfcgi(["--check-config", "--config", bad])
            #expect(refused.ending == .exited(78), "stderr: \(refused.stderr)")
            #expect(refused.stderr.contains("timeZone"), "stderr: \(refused.stderr)")
            #expect(refused.stderr.contains(bad), "stderr: \(refused.stderr)")

            let version = try box.runTaskfcgi(["--version"])
            #expect(version.ending == .exited(0))
            #expect(version.stdout.hasPrefix("taskfcgi "), "stdout: \(version.stdout)")
        }

        @Test("a log, database or socket that cannot be created: exit 78 naming the key, nothing served",
              arguments: ["logPath", "connectionString", "listen"])
        func unusablePathsAreRefused(key: String) throws {
            let box = try Sandbox()
            defer { box.close() }
            let target = box.folder + "/missing-folder/file"
            let config = try box.writeConfig([key: target])
            // Starting and `--check-config` refuse it alike.
            for arguments in [["--config", config], ["--check-config", "--config", config]] {
                let run = try box.runTaskfcgi(arguments)
                #expect(run.ending == .exited(78), "\(arguments) stderr: \(run.stderr)")
                #expect(run.stderr.contains("\(config): \(key):"), "\(arguments) stderr: \(run.stderr)")
                #expect(run.stderr.contains(target), "\(arguments) stderr: \(run.stderr)")
            }
            #expect(!Sandbox.exists(box.socketPath))
        }

        @Test("a listen path that is some other file: start and --check-config refuse it, the file is kept")
        func listenPathThatIsAFileIsRefused() throws {
            let box = try Sandbox()
            defer { box.close() }
            let file = box.folder + "/not-a-socket"
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: file))
            let config = try box.writeConfig(["listen": file])
            for arguments in [["--config", config], ["--check-config", "--config", config]] {
                let run = try box.runTaskfcgi(arguments)
                #expect(run.ending == .exited(78), "\(arguments) stderr: \(run.stderr)")
                #expect(run.stderr.contains("listen") && run.stderr.contains("is not a socket"), "\(arguments) stderr: \(run.stderr)")
            }
            #expect(Sandbox.read(file) == "keep me")
        }

        @Test("the socket is created with mode 0660 even under umask 0")
        func socketModeIgnoresUmask() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let worker = try box.startWorker(umask: "0")
            var info = stat()
            #expect(lstat(box.socketPath, &info) == 0)
            #expect(info.st_mode & 0o170000 == 0o140000, "not a socket")
            #expect(info.st_mode & 0o7777 == 0o660, "mode \(String(info.st_mode & 0o7777, radix: 8))")
            #expect(worker.isRunning)
        }

        @Test("a second worker on the same socket refuses to start (78) and leaves the first one alone")
        func secondWorkerOnTheSameSocketIsRefused() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let first = try box.startWorker()
            let second = try box.writeConfig(["logPath": box.folder + "/second.log"], to: box.folder + "/second.json")
            let run = try box.runTaskfcgi(["--config", second])
            #expect(run.ending == .exited(78), "stderr: \(run.stderr)")
            #expect(run.stderr.contains("another process is already listening"), "stderr: \(run.stderr)")
            #expect(run.stderr.contains("listen"), "stderr: \(run.stderr)")
            // The refused worker must not have removed the first one's socket.
            #expect(first.isRunning)
            #expect(Sandbox.isSocket(box.socketPath))
            #expect(UnixSocket.canConnect(box.socketPath))
        }

        @Test("a stale socket file left by a crash is replaced")
        func staleSocketIsReplaced() throws {
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            try UnixSocket.leaveStale(at: box.socketPath)
            #expect(Sandbox.isSocket(box.socketPath) && !UnixSocket.canConnect(box.socketPath))
            let worker = try box.startWorker()
            #expect(waitUntil(5) { UnixSocket.canConnect(box.socketPath) })
            #expect(worker.isRunning)
        }
    }
}
