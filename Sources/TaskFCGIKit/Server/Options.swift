import Foundation

/// What the command line asks for.
public enum Command: Equatable, Sendable {
    case run(configPath: String)
    case checkConfig(configPath: String)
    case version
    case help
    /// `taskfcgi cron EXPR`: preview an expression's slots (no config needed).
    case cron(CronPreview)
    /// `taskfcgi jobs …`: list, preview, pause or resume the configured jobs on their database.
    case jobs(configPath: String, JobsAction)
}

/// `taskfcgi cron EXPR [--zone ZONE] [--from RFC3339] [--count N]`.
public struct CronPreview: Equatable, Sendable {
    public var expression: String
    /// An IANA zone; nil: the process's zone.
    public var zone: String?
    /// An RFC 3339 instant; nil: now.
    public var from: String?
    public var count = 5
}

/// What `taskfcgi jobs` does.
public enum JobsAction: Equatable, Sendable {
    case list
    case next(job: String, count: Int)
    case pause(job: String, until: String?, reason: String?)
    case resume(job: String)
}

/// Command-line parsing: `taskfcgi [--config PATH] [--check-config] | --version | --help`.
public enum Options {
    public static let version = "0.1.0"

    public static let usage = """
        Usage: taskfcgi [--config PATH]          run the worker (FastCGI responder + job thread)
               taskfcgi --check-config [--config PATH]
                                                validate the config, open the database and the log; exit 0 or 78
               taskfcgi cron EXPR [--zone ZONE] [--from RFC3339] [--count N]
                                                the next N (5) slots of a cron expression, one a line
               taskfcgi jobs [--config PATH]    each job: schedule, pause, next slot, last run
               taskfcgi jobs next NAME [--count N]
               taskfcgi jobs pause NAME [--until RFC3339] [--reason TEXT]
               taskfcgi jobs resume NAME        act on the configured database directly (as this Unix user)
               taskfcgi --version | --help

        The config file is --config PATH, else $TASKFCGI_CONFIG, else ./taskfcgi.json.
        Signals: TERM/INT stop gracefully; HUP reopens the log file and reloads the job settings and
        logLevel from the config file; USR1 only reopens the log file.
        """

    /// Why the command line was refused (exit code 64, EX_USAGE).
    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ arguments: [String], environment: [String: String]) throws -> Command {
        var configPath = environment["TASKFCGI_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "taskfcgi.json"
        if arguments.count > 1, arguments[1] == "cron" { return .cron(try parseCron(arguments.dropFirst(2))) }
        if arguments.count > 1, arguments[1] == "jobs" { return try parseJobs(arguments.dropFirst(2), configPath: configPath) }
        var check = false
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--version", "-V": return .version
            case "--help", "-h": return .help
            case "--check-config", "-t": check = true
            case "--config", "-c":
                guard let path = rest.popFirst(), !path.isEmpty else { throw UsageError(description: "--config needs a path") }
                configPath = path
            default:
                if argument.hasPrefix("--config=") { configPath = String(argument.dropFirst("--config=".count)); continue }
                throw UsageError(description: "unknown argument \"\(argument)\"")
            }
        }
        return check ? .checkConfig(configPath: configPath) : .run(configPath: configPath)
    }
}
