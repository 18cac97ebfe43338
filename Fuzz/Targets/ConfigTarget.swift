// Fuzz target "config": the config loader, `JSONValue.parse` (our JSON5 reader) and
// `Config.parse(_:file:cores:)`, exactly as `Config.load` chains them but without the file.
//
// Input: the config file's bytes. Checked properties:
// - `JSONValue.parse` gives a value or a `JSON5Reader.SyntaxError` with a line and column;
// - any document gives a Config or a ConfigError naming the file; any other error is a finding;
// - an accepted Config is within the documented limits: absolute paths, no in-memory database,
//   threads 1…512, maxBodyBytes 1 KiB…1 GiB, positive durations, socket paths under 108 bytes.
import Foundation

let fuzzConfigFile = "/etc/taskfcgi/taskfcgi.json"

@_cdecl("fuzz_config")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let document: JSONValue
    do {
        document = try JSONValue.parse(bytes)
    } catch let error as JSON5Reader.SyntaxError {
        fuzzCheck(error.line >= 1 && error.column >= 1 && !error.problem.isEmpty, "malformed syntax error \(error)")
        return 0 // `Config.load` reports this as "is not valid JSON5: line L, column C: …"
    } catch {
        fuzzFail("JSONValue.parse threw \(type(of: error)): \(error) for \(fuzzEscaped(bytes))")
    }
    let config: Config
    do {
        config = try Config.parse(document, file: fuzzConfigFile, cores: 2)
    } catch let error as ConfigError {
        fuzzCheck(error.file == fuzzConfigFile && error.description.hasPrefix(fuzzConfigFile + ": ")
                  && !error.problem.isEmpty,
                  "malformed ConfigError \(error) for \(fuzzEscaped(bytes))")
        return 0
    } catch {
        fuzzFail("Config.parse threw \(type(of: error)) (not ConfigError): \(error) for \(fuzzEscaped(bytes))")
    }
    let context = fuzzEscaped(bytes)
    fuzzCheck(config.file == fuzzConfigFile, "file")
    switch config.database {
    case .sqlite(let location):
        fuzzCheck(location == config.connectionString && !DatabaseLocation.isPostgres(location), "backend of \(location) for \(context)")
        fuzzCheck(location.hasPrefix("/") || location.hasPrefix("file:"), "relative connectionString \(location) for \(context)")
        fuzzCheck(location != ":memory:" && !location.contains("mode=memory"), "in-memory database accepted for \(context)")
    case .postgres(let conninfo):
        // A PostgreSQL string is kept as given; only its masked form is ever shown.
        fuzzCheck(conninfo == config.connectionString && DatabaseLocation.isPostgres(conninfo), "backend of \(conninfo) for \(context)")
        _ = config.database.displayed
    }
    fuzzCheck(config.logPath == "-" || config.logPath.hasPrefix("/"), "relative logPath \(config.logPath) for \(context)")
    fuzzCheck((1...512).contains(config.threads), "threads \(config.threads) for \(context)")
    fuzzCheck((1024...(1 << 30)).contains(config.maxBodyBytes), "maxBodyBytes \(config.maxBodyBytes) for \(context)")
    let retain = (JobRegistry.jobs(for: config).first { $0.job.name == "purgeCompletedTasks" }?.job as? PurgeCompletedTasks)?.retain
    fuzzCheck(retain != nil, "the purge job is made for \(context)")
    for (name, interval) in [("busyTimeout", config.busyTimeout), ("retain", retain ?? .seconds(1)), ("leaseTTL", config.leaseTTL)] {
        fuzzCheck(interval.milliseconds > 0, "\(name) \(interval.milliseconds) ms for \(context)")
    }
    fuzzCheck(Set(config.jobs.keys) == Set(JobRegistry.known.map(\.name)), "jobs \(config.jobs.keys) for \(context)")
    for (name, job) in config.jobs {
        switch job.trigger {
        case .every(let interval):
            fuzzCheck(interval.milliseconds > 0, "\(name) interval \(interval.milliseconds) ms for \(context)")
        case .cron(let expression):
            // Whatever was accepted must come back as written and parse again the same way.
            fuzzCheck((try? CronExpression(parsing: expression.text)) == expression, "\(name) cron \(expression.text) for \(context)")
        }
    }
    switch config.listen {
    case .unix(let path):
        fuzzCheck(path.hasPrefix("/") && path.utf8.count < 108, "socket path \(path) for \(context)")
    case .tcp(let host, let port):
        fuzzCheck(port > 0 && !host.isEmpty, "tcp \(host):\(port) for \(context)")
    case .inherited:
        break
    }
    _ = config.listen.description
    _ = config.folder
    return 0
}
