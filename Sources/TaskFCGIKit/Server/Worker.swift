import Foundation

/// The process: parse the command line, validate, start the threads, take signals, stop cleanly.
public enum Worker {
    /// Runs the worker and returns its exit code.
    public static func main(_ arguments: [String]) -> Int32 {
        let command: Command
        do { command = try Options.parse(arguments, environment: ProcessInfo.processInfo.environment) } catch {
            printError("taskfcgi: \(error)\n\(Options.usage)")
            return 64
        }
        switch command {
        case .version:
            print("taskfcgi \(Options.version)")
            return 0
        case .help:
            print(Options.usage)
            return 0
        case .cron(let preview):
            return JobCommands.cron(preview)
        case .jobs(let configPath, let action):
            return JobCommands.jobs(configPath: configPath, action)
        case .checkConfig(let path):
            guard let environment = prepare(path) else { return ConfigError.exitCode }
            do { try Listener.check(environment.config.listen) } catch {
                printError("taskfcgi: \(ConfigError(file: environment.config.file, key: "listen", problem: "\(error)"))")
                return ConfigError.exitCode
            }
            print("taskfcgi: the configuration file \(environment.config.file) syntax is ok; database and log open, socket folder writable")
            return 0
        case .run(let path):
            // The signal mask must precede every thread.
            Signals.blockForThreads()
            guard let environment = prepare(path) else { return ConfigError.exitCode }
            let listener: Listener
            do { listener = try Listener(environment.config.listen, environment: ProcessInfo.processInfo.environment) } catch {
                printError("taskfcgi: \(ConfigError(file: environment.config.file, key: "listen", problem: "\(error)"))")
                return ConfigError.exitCode
            }
            // An inherited socket is held to the rule a configured one is: beyond loopback, only
            // the hosts in trustedProxies may connect.
            if environment.config.trustedProxies == nil, let bound = listener.openBeyondLoopback {
                printError("taskfcgi: \(ConfigError(file: environment.config.file, key: "trustedProxies", problem: "is required: the inherited socket is bound to \(bound), which is not a loopback address; list the addresses of the nginx hosts allowed to connect (anyone else could send FastCGI params directly), or bind the socket to 127.0.0.1"))")
                return ConfigError.exitCode
            }
            return serve(environment, listener)
        }
    }

    private static func prepare(_ path: String) -> Environment? {
        do { return try Startup.prepare(configPath: path) } catch {
            printError("taskfcgi: \(error)")
            return nil
        }
    }

    private static func serve(_ environment: Environment, _ listener: Listener) -> Int32 {
        let log = environment.log
        let config = environment.config
        let clock = SystemClock()
        let kinds = QueueRegistry.kinds(for: config)
        let metrics = config.metrics ? Metrics(jobs: JobRegistry.known.map(\.name), queueKinds: kinds.map(\.name)) : nil
        let runner = JobRunner(jobs: JobRegistry.jobs(for: config), log: log, clock: clock, zone: config.zone,
                               maxWait: environment.storage.watchInterval, leaseTTL: config.leaseTTL, metrics: metrics?.jobs,
                               history: config.jobHistory) {
            try environment.openStores()
        }
        let queue = JobQueue(kinds: kinds, settings: config.queue, log: log, clock: clock,
                             watchInterval: environment.storage.watchInterval, metrics: metrics?.queue,
                             isRescuer: { runner.status.holdsLease }) {
            try environment.openStores().1.queue
        }
        environment.storage.events?.onEnqueue { queue.notify() }
        let stats = ServerStats(threads: config.threads, startedAt: clock.now())
        let operators: OperatorGate
        do { operators = try OperatorGate.load(operatorsFile: config.operators, metricsTokenFile: config.metricsToken) } catch {
            log.error("main", "cannot read the operators' files: \(error)")
            return ConfigError.exitCode
        }
        let server: FastCGIServer
        do {
            server = try FastCGIServer(
                listener: listener, threads: config.threads, limits: limits(config), log: log,
                stats: stats, trustedProxies: config.trustedProxies
            ) { _ in
                let (tasks, jobStore) = try environment.openStores()
                let context = AppContext(store: tasks, jobStore: jobStore, zone: config.zone, clock: clock, log: log,
                                         jobs: runner, stats: stats, metrics: metrics, operators: operators,
                                         notifyJobs: { runner.notify(due: $0) }, queueChanged: { queue.notify() })
                return App.handler(context)
            }
        } catch {
            log.error("main", "cannot start the request threads: \(error)")
            return 1
        }
        log.info("main", config.operators.map { "operator routes: HTTP Basic for the \(operators.userCount) users in \($0)" }
                 ?? "operator routes: loopback clients only (no \"operators\" file configured)")
        runner.start()
        queue.start()
        server.start()
        // Logged once the threads run, so "started" means serving.
        log.info("main", "taskfcgi \(Options.version) started (pid \(getpid()), listening on \(config.listen), \(config.threads) threads, database \(environment.storage.displayed), time zone \(config.zone.identifier))")

        var running = config
        while true {
            // Between signals, every few seconds: make sure the log still goes somewhere visible.
            guard let signal = Signals.wait(seconds: 2) else {
                log.checkFile()
                if server.hasFailed {
                    log.error("main", "no request thread can accept connections any more: stopping")
                    _ = runner.stop(timeout: Double(config.stopTimeout.milliseconds) / 3000)
                    return 1
                }
                continue
            }
            if signal == SIGHUP || signal == SIGUSR1 {
                log.reopen(reason: Signals.name(signal))
                // SIGUSR1 only reopens the log (logrotate); SIGHUP also reloads the config and
                // re-reads who may steer the worker.
                if signal == SIGHUP {
                    running = Reload.apply(running, log: log, runner: runner)
                    operators.reload(log: log)
                }
                continue
            }
            log.info("main", "\(Signals.name(signal)) received: stopping")
            break
        }
        stop(server, runner, queue, environment)
        return 0
    }

    private static func limits(_ config: Config) -> FastCGIServer.Limits {
        var limits = FastCGIServer.Limits(maxBodyBytes: config.maxBodyBytes)
        limits.requestReadTimeout = config.connections.requestReadTimeout
        limits.responseWriteTimeout = config.connections.responseWriteTimeout
        limits.idleTimeout = config.connections.idleTimeout
        limits.maxConnections = config.connections.maxConnections
        limits.slowRequest = config.connections.slowRequest
        return limits
    }

    /// Reverse start order within `stopTimeout`: no new connections (after at most a short drain
    /// of those nginx already queued on a socket we own), the requests in flight until 60 % of
    /// the budget, the job thread until 90 %, then a checkpoint that never waits.
    private static func stop(_ server: FastCGIServer, _ runner: JobRunner, _ queue: JobQueue, _ environment: Environment) {
        let log = environment.log
        let budget = Double(environment.config.stopTimeout.milliseconds) / 1000
        let began = DispatchTime.now()
        func at(_ share: Double) -> DispatchTime { began + budget * share }
        // The queue threads claim nothing more; attempts in flight finish during the drain.
        _ = queue.stop(timeout: 0)
        if !server.stop(drain: min(1, budget * 0.1), deadline: at(0.6)) {
            log.warning("main", "\(server.liveThreads) request threads still busy after \(budget * 0.6) s; exiting without them")
        }
        let jobBudget = (Double(at(0.9).uptimeNanoseconds) - Double(DispatchTime.now().uptimeNanoseconds)) / 1e9
        if !runner.stop(timeout: max(0.1, jobBudget)) { log.warning("main", "the job thread did not stop in time") }
        // Attempts in flight finish or are rescued after a restart (their claims name this process).
        if !queue.stop(timeout: 0.5) { log.info("main", "queue threads still delivering at exit; the next worker retries those jobs") }
        checkpoint(environment)
        let took = Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e6
        log.info("main", "stop took \(JobRunner.milliseconds(Int64(took * 1000))) ms")
        log.info("main", "stopped")
    }

    /// The storage's last step, which never waits long: SQLite folds what it can of the WAL back
    /// into the file.
    private static func checkpoint(_ environment: Environment) {
        environment.storage.close(log: environment.log)
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
