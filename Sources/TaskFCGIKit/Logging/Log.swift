import Glibc
import Synchronization

/// How much the log says.
public enum LogLevel: Int, Comparable, Sendable {
    case debug, info, warning, error

    public init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "info": self = .info
        case "warning": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    /// The lower-case name, as in the config and JSON lines.
    public var name: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warning: return "warning"
        case .error: return "error"
        }
    }

    /// Padded to five characters so the columns line up under `tail -f`.
    var label: String {
        switch self {
        case .debug: return "DEBUG"
        case .info: return "INFO "
        case .warning: return "WARN "
        case .error: return "ERROR"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// How lines are written: `text` for people (`tail -f`), `json` for log shippers (one object a line).
public enum LogFormat: String, Sendable {
    case text, json
}

/// A value beside a log line's message, for the JSON format's own fields.
public enum LogValue: Sendable {
    case string(String)
    case int(Int64)
    case milliseconds(Double)
    case bool(Bool)
}

/// One named value beside a log line's message.
public typealias LogField = (name: String, value: LogValue)

/// The one log file both halves of the worker write: one line per event, each line a single
/// `write(2)` on an `O_APPEND` descriptor, so lines from many threads never interleave.
public final class Log: Sendable {
    /// The file's path, or `-` for stderr.
    public let path: String
    /// The least level written; SIGHUP may change it (`logLevel`), so it is read atomically.
    public var level: LogLevel { LogLevel(rawValue: currentLevel.load(ordering: .relaxed)) ?? .info }
    private let currentLevel: Atomic<Int>
    /// Text lines or JSON objects.
    public let format: LogFormat
    private let clock: any WallClock
    /// The descriptor lines are written to, without a lock: one `write(2)` with `O_APPEND` is one
    /// line, whole, whatever the other threads write. A reopen replaces the file behind this same
    /// number (`dup2`), so a writer can never hold a closed or reused descriptor.
    private let fd: Int32
    private struct State { var warned = false }
    private let state = Mutex(State())

    /// Opens (creating if needed) the log at `path`; throws a message naming the problem.
    public init(path: String, level: LogLevel, format: LogFormat = .text, clock: any WallClock = SystemClock()) throws {
        self.path = path
        currentLevel = Atomic(level.rawValue)
        self.format = format
        self.clock = clock
        fd = try Log.open(path)
    }

    deinit {
        if fd > 2 { close(fd) }
    }

    /// Writes lines at `level` and above from now on (a reloaded `logLevel`).
    public func setLevel(_ level: LogLevel) { currentLevel.store(level.rawValue, ordering: .relaxed) }

    /// Why the log cannot be opened.
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    private static func open(_ path: String) throws -> Int32 {
        if path == "-" { return STDERR_FILENO }
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw OpenError(description: "cannot open \(path) for appending: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Writes `message` at this level; `fields` are its parts by name, for the JSON format.
    public func debug(_ tag: String, _ message: @autoclosure () -> String, fields: [LogField] = []) { write(.debug, tag, message, fields) }
    public func info(_ tag: String, _ message: @autoclosure () -> String, fields: [LogField] = []) { write(.info, tag, message, fields) }
    public func warning(_ tag: String, _ message: @autoclosure () -> String, fields: [LogField] = []) { write(.warning, tag, message, fields) }
    public func error(_ tag: String, _ message: @autoclosure () -> String, fields: [LogField] = []) { write(.error, tag, message, fields) }

    /// One access line: `METHOD TARGET STATUS BYTES MS ms` in text, the same as fields in JSON.
    public func access(method: String, target: String, status: Int, bytes: Int, microseconds: Int64, clientGone: Bool) {
        guard enabled(.info) else { return }
        if format == .text {
            // Every request writes one: formatted on the stack, the same text `write` would make.
            AccessLine.write(method: method, target: target, status: status, bytes: bytes, microseconds: microseconds,
                             clientGone: clientGone, at: clock.now()) { writeLine($0) }
            return
        }
        let milliseconds = Double(microseconds) / 1000
        let fields: [LogField] = [("method", .string(method)), ("path", .string(target)), ("status", .int(Int64(status))),
                                  ("bytes", .int(Int64(bytes))), ("durationMs", .milliseconds(milliseconds))]
        write(.info, "http", { "\(method) \(target) \(status) \(bytes) \(JobRunner.milliseconds(microseconds)) ms\(clientGone ? " (client went away)" : "")" },
              clientGone ? fields + [("clientGone", .bool(true))] : fields)
    }

    /// Whether a line at `level` would be written (to skip building expensive messages).
    public func enabled(_ level: LogLevel) -> Bool { level >= self.level }

    private func write(_ level: LogLevel, _ tag: String, _ message: () -> String, _ fields: [LogField]) {
        guard level >= self.level else { return }
        var line = format == .json ? jsonLine(level, tag, message(), fields)
            : "\(clock.now()) \(level.label) \(Log.escaped("[\(tag)] \(message())"))\n"
        if let failure = line.withUTF8({ Log.writeAll(fd, $0.baseAddress!, $0.count) }) {
            state.withLock { Log.warnOnce(&$0, "taskfcgi: cannot write the log \(path): \(failure); lines are being lost\n") }
        }
    }

    /// One JSON object and a line feed: every control character is escaped, so input cannot split it.
    private func jsonLine(_ level: LogLevel, _ tag: String, _ message: String, _ fields: [LogField]) -> String {
        var json = JSONText()
        json.field("time", clock.now().description)
        json.field("level", level.name)
        json.field("source", tag)
        json.field("message", message)
        for field in fields {
            switch field.value {
            case .string(let text): json.field(field.name, text)
            case .int(let number): json.field(field.name, number)
            case .milliseconds(let value): json.field(field.name, (value * 1000).rounded() / 1000)
            case .bool(let flag): json.field(field.name, flag)
            }
        }
        return json.object + "\n"
    }

    /// Writes one finished line (already escaped, ending in a line feed) in a single `write(2)`.
    func writeLine(_ line: UnsafeBufferPointer<UInt8>) {
        if let failure = Log.writeAll(fd, line.baseAddress!, line.count) {
            state.withLock { Log.warnOnce(&$0, "taskfcgi: cannot write the log \(path): \(failure); lines are being lost\n") }
        }
    }

    /// The message with control characters written as `\xNN` (`\u{NNNN}` for line separators):
    /// input can neither forge log lines nor send escape codes to a terminal running `tail -f`.
    static func escaped(_ message: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
        }
        guard message.unicodeScalars.contains(where: isControl) else { return message }
        var result = ""
        for scalar in message.unicodeScalars {
            if !isControl(scalar) { result.unicodeScalars.append(scalar) }
            else if scalar.value <= 0xFF { result += (scalar.value < 0x10 ? "\\x0" : "\\x") + String(scalar.value, radix: 16, uppercase: true) }
            else { result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" }
        }
        return result
    }

    /// Reopens the file at the same path (after logrotate moved it) and says so in the new file.
    /// On failure the old descriptor is kept and the reason returned.
    @discardableResult
    public func reopen(reason: String) -> String? {
        guard path != "-" else { return nil }
        let failure: String? = state.withLock { state in
            do {
                let opened = try Log.open(path)
                defer { close(opened) }
                guard dup2(opened, fd) >= 0 else { throw OpenError(description: "cannot reopen \(path): \(String(cString: strerror(errno)))") }
                // dup2 drops close-on-exec: the worker starts no programs, but keep the promise.
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                state.warned = false
                return nil
            } catch {
                // Every failed reopen is reported: it answers an operator's SIGHUP, so it cannot flood.
                let message = "taskfcgi: \(error); still writing to the old file\n"
                _ = message.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
                return "\(error)"
            }
        }
        if failure == nil { info("log", "reopened \(path) (\(reason))") }
        return failure
    }

    /// Warns once on stderr when the log file was deleted or moved away without a SIGHUP, so
    /// lines would go nowhere anyone looks.
    public func checkFile() {
        guard path != "-" else { return }
        state.withLock { state in
            var open = stat(), named = stat()
            let gone = fstat(fd, &open) == 0
                && (stat(path, &named) != 0 || named.st_ino != open.st_ino || named.st_dev != open.st_dev)
            if gone { Log.warnOnce(&state, "taskfcgi: the log file \(path) was deleted or replaced; send SIGHUP to reopen it\n") }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> String? {
        var offset = 0
        while offset < count {
            let written = Glibc.write(fd, bytes + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            offset += written
        }
        return nil
    }

    private static func warnOnce(_ state: inout State, _ message: String) {
        guard !state.warned else { return }
        state.warned = true
        _ = message.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
    }
}

