import Foundation

/// The third-party validators the metrics and API tests run: promtool (Debian's `prometheus`) and
/// the Python tools `scripts/python-tools.sh` installs into `.build-venv/`. Outside CI a missing one
/// makes those tests skip with a message; under `CI=true` they run and fail.
enum Validators {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The checkout: three folders up from this file.
    static func packageRoot(filePath: String = #filePath) -> String {
        var url = URL(fileURLWithPath: filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }

    /// `.build-venv/bin/NAME`, if installed.
    static func python(_ name: String) -> String? {
        let path = packageRoot() + "/.build-venv/bin/" + name
        return access(path, X_OK) == 0 ? path : nil
    }

    static var promtool: String? { try? Tools.find("promtool") }

    /// What is missing of promtool and the Python tools, or nil when everything is there.
    static var missing: String? {
        var names: [String] = []
        if promtool == nil { names.append("promtool (apt-get install prometheus)") }
        for tool in ["python", "schemathesis", "openapi-spec-validator"] where python(tool) == nil {
            names.append(".build-venv/bin/\(tool) (scripts/python-tools.sh)")
        }
        return names.isEmpty ? nil : "missing " + names.joined(separator: ", ")
    }

    /// Run when installed; under CI run anyway, so that a missing tool fails instead of skipping.
    static var shouldRun: Bool { missing == nil || isCI }

    /// Runs a validator to completion with `input` on stdin; returns its exit status and output.
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, folder: String,
                    timeout: Double = 60, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let outputPath = folder + "/validator-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inputPipe.fileHandleForWriting.close()
        let ended = waitUntil(timeout, every: 0.05) { !process.isRunning }
        if !ended { process.terminate(); process.waitUntilExit() }
        try output.close()
        let text = Sandbox.read(outputPath)
        guard ended else { throw HarnessError("\(executable) did not finish within \(timeout) s:\n\(text.suffix(3000))") }
        return (process.terminationStatus, text)
    }
}
