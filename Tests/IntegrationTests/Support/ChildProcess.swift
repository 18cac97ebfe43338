import Foundation

/// Polls `condition` until it holds or `seconds` pass (monotonic clock); returns whether it held.
/// Every wait in these tests goes through here: no sleep-and-hope.
@discardableResult
func waitUntil(_ seconds: Double, every interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    while true {
        if try condition() { return true }
        if clock.now >= end { return false }
        usleep(UInt32(interval * 1_000_000))
    }
}

/// Seconds since an arbitrary fixed point, for measuring how long something took.
func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// The wall clock as Unix milliseconds (what the worker stores in `due_at`).
func nowMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}

/// A failure of the harness itself (a tool missing, a process that would not start, …).
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// How a child process ended.
enum Ending: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signalled(let signal): return "killed by signal \(signal)"
        }
    }
}

/// One child process started with Foundation's `Process`, its stdout and stderr captured to files
/// in the test's folder. Signals go to its pid only, and only while it is still running.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    /// `stdin` defaults to /dev/null; pass a descriptor to hand the child e.g. a listening socket on fd 0.
    init(name: String, executable: String, arguments: [String], folder: String,
         environment: [String: String]? = nil, stdin: FileHandle? = nil) throws {
        self.name = name
        let unique = UUID().uuidString.prefix(8)
        stdoutPath = "\(folder)/\(name)-\(unique).stdout"
        stderrPath = "\(folder)/\(name)-\(unique).stderr"
        for path in [stdoutPath, stderrPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw HarnessError("cannot create \(path)")
            }
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer {
            try? out.close()
            try? err.close()
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        if let environment { process.environment = environment }
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw HarnessError("cannot start \(name) (\(executable)): \(error)")
        }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// How it ended, or nil while it runs.
    var ending: Ending? {
        if process.isRunning { return nil }
        return process.terminationReason == .exit ? .exited(process.terminationStatus) : .signalled(process.terminationStatus)
    }

    /// Waits up to `seconds` for the process to end; nil if it is still running.
    @discardableResult
    func waitForExit(_ seconds: Double) -> Ending? {
        waitUntil(seconds, every: 0.01) { !process.isRunning }
        return ending
    }

    /// Sends `signal` if the process still runs (so a reused pid is never hit).
    func send(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// SIGTERM, then SIGKILL if it has not ended within `grace` seconds. Safe to call twice.
    func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        send(SIGTERM)
        if waitForExit(grace) == nil {
            send(SIGKILL)
            waitForExit(5)
        }
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Runs a short-lived command to completion (at most `timeout` seconds) and returns it ended.
    static func run(_ name: String, _ executable: String, _ arguments: [String], folder: String,
                    environment: [String: String]? = nil, timeout: Double = 30) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: executable, arguments: arguments, folder: folder,
                                     environment: environment)
        if child.waitForExit(timeout) == nil {
            child.stop(grace: 1)
            throw HarnessError("\(name) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        return child
    }
}

/// Finds the command-line tools the tests drive.
enum Tools {
    /// The first executable named `name` on PATH or in the usual system folders.
    static func find(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for folder in folders where !folder.isEmpty {
            let candidate = folder + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw HarnessError("\(name) is not installed (not on PATH nor in /usr/sbin); the integration tests need nginx-light, curl and sqlite3 (see .ci/run)")
    }

    static func nginx() throws -> String { try find("nginx") }
    static func curl() throws -> String { try find("curl") }
    static func sqlite3() throws -> String { try find("sqlite3") }

    /// The built `taskfcgi` binary: `$TASKFCGI_BINARY`, else next to the running test bundle
    /// (works with any `--scratch-path`), else `.build/debug/taskfcgi` in the package.
    static func taskfcgi(filePath: String = #filePath) throws -> String {
        if let override = ProcessInfo.processInfo.environment["TASKFCGI_BINARY"], !override.isEmpty {
            guard access(override, X_OK) == 0 else { throw HarnessError("TASKFCGI_BINARY=\(override) is not an executable") }
            return override
        }
        var folders: [String] = []
        // The test runner is the bundle executable itself (Linux) or sits inside the bundle.
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append((exe as NSString).deletingLastPathComponent)
        }
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        folders.append((argument0 as NSString).deletingLastPathComponent)
        folders.append(Bundle.main.bundleURL.resolvingSymlinksInPath().path)
        folders.append(Bundle.main.bundleURL.resolvingSymlinksInPath().deletingLastPathComponent().path)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.resolvingSymlinksInPath().deletingLastPathComponent().path)
        }
        var seen = Set<String>()
        for folder in folders where seen.insert(folder).inserted {
            // Walk up a few levels: `…/debug/X.xctest/Contents/MacOS/X` on Darwin, `…/debug/X.xctest` on Linux.
            var current = folder
            for _ in 0..<4 {
                let candidate = current + "/taskfcgi"
                if isExecutableFile(candidate) { return candidate }
                current = (current as NSString).deletingLastPathComponent
            }
        }
        // Fall back on the package's default build folder, found from this source file.
        var package = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while package.path != "/" {
            if FileManager.default.fileExists(atPath: package.appendingPathComponent("Package.swift").path) {
                let candidate = package.appendingPathComponent(".build/debug/taskfcgi").path
                if isExecutableFile(candidate) { return candidate }
                break
            }
            package.deleteLastPathComponent()
        }
        throw HarnessError("cannot find the taskfcgi binary next to the test bundle (looked in \(seen.sorted().joined(separator: ", "))); build with `swift build --build-tests` or set TASKFCGI_BINARY")
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
            && access(path, X_OK) == 0
    }
}
