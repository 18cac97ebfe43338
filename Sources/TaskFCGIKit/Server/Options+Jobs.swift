/// The command line of `taskfcgi cron` and `taskfcgi jobs`.
extension Options {
    /// `EXPR [--zone ZONE] [--from RFC3339] [--count N]`, options before or after the expression.
    static func parseCron(_ arguments: ArraySlice<String>) throws -> CronPreview {
        var rest = arguments
        var preview = CronPreview(expression: "")
        var expression: String?
        while let argument = rest.popFirst() {
            switch argument {
            case "--zone": preview.zone = try value(of: argument, &rest)
            case "--from": preview.from = try value(of: argument, &rest)
            case "--count": preview.count = try count(try value(of: argument, &rest))
            default:
                guard expression == nil, !argument.hasPrefix("--") else {
                    throw UsageError(description: "cron: unexpected argument \"\(argument)\" (quote the expression: '*/15 * * * *')")
                }
                expression = argument
            }
        }
        guard let expression else { throw UsageError(description: "cron: give an expression, e.g. taskfcgi cron '0 3 * * *'") }
        preview.expression = expression
        return preview
    }

    /// `[list] | next NAME [--count N] | pause NAME [--until T] [--reason R] | resume NAME`, and `--config PATH` anywhere.
    static func parseJobs(_ arguments: ArraySlice<String>, configPath: String) throws -> Command {
        var rest = arguments, words: [String] = []
        var configPath = configPath, count = 5, until: String?, reason: String?
        while let argument = rest.popFirst() {
            switch argument {
            case "--config", "-c": configPath = try value(of: argument, &rest)
            case "--count": count = try Self.count(try value(of: argument, &rest))
            case "--until": until = try value(of: argument, &rest)
            case "--reason": reason = try value(of: argument, &rest)
            default:
                if argument.hasPrefix("--config=") { configPath = String(argument.dropFirst("--config=".count)); continue }
                guard !argument.hasPrefix("-") else { throw UsageError(description: "jobs: unknown option \"\(argument)\"") }
                words.append(argument)
            }
        }
        let action: JobsAction
        switch (words.first, words.count) {
        case (nil, _), ("list", 1): action = .list
        case ("next", 2): action = .next(job: words[1], count: count)
        case ("pause", 2): action = .pause(job: words[1], until: until, reason: reason)
        case ("resume", 2): action = .resume(job: words[1])
        case ("next", _), ("pause", _), ("resume", _):
            throw UsageError(description: "jobs \(words[0]): give one job name")
        default: throw UsageError(description: "jobs: unknown action \"\(words[0])\"; use next, pause or resume")
        }
        if until != nil || reason != nil, case .pause = action {} else if until != nil || reason != nil {
            throw UsageError(description: "jobs: --until and --reason go with pause")
        }
        return .jobs(configPath: configPath, action)
    }

    private static func value(of option: String, _ rest: inout ArraySlice<String>) throws -> String {
        guard let value = rest.popFirst() else { throw UsageError(description: "\(option) needs a value") }
        return value
    }

    private static func count(_ text: String) throws -> Int {
        guard let count = Int(text), (1...1000).contains(count) else {
            throw UsageError(description: "--count must be a whole number from 1 to 1000; got \"\(text)\"")
        }
        return count
    }
}
