import Foundation

/// What the command line asks for.
public enum Command: Equatable, Sendable {
    case run(configPath: String)
    case checkConfig(configPath: String)
    case version
    case help
}

/// Command-line parsing: `taskfcgi [--config PATH] [--check-config] | --version | --help`.
public enum Options {
    public static let version = "0.1.0"

    public static let usage = """
        Usage: taskfcgi [--config PATH]          run the worker (FastCGI responder + job thread)
               taskfcgi --check-config [--config PATH]
                                                validate the config, open the database and the log; exit 0 or 78
               taskfcgi --version | --help

        The config file is --config PATH, else $TASKFCGI_CONFIG, else ./taskfcgi.json.
        Signals: TERM/INT stop gracefully; HUP/USR1 reopen the log file.
        """

    /// Why the command line was refused (exit code 64, EX_USAGE).
    public struct UsageError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ arguments: [String], environment: [String: String]) throws -> Command {
        var configPath = environment["TASKFCGI_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "taskfcgi.json"
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
