import Foundation
import Testing

extension IntegrationTests {
    /// The API against its own OpenAPI document, by tools that only read the document:
    /// openapi-spec-validator checks the document, schemathesis generates valid and hostile requests
    /// from it and sends them through nginx to the live worker, running all its checks (no 5xx,
    /// responses and headers as documented, invalid input refused, valid input accepted, …).
    @Suite("Contract (openapi-spec-validator, schemathesis)", .enabled(if: Validators.shouldRun, "\(Validators.missing ?? "") (skipped; under CI=true this fails)"))
    struct Contract {
        /// Test cases per operation: bounded so the run stays under about two minutes in CI.
        static let examples = Int(ProcessInfo.processInfo.environment["SCHEMATHESIS_EXAMPLES"] ?? "") ?? 300

        /// Valid data may get a 422 too: JSON Schema cannot say "not blank or invisible only" or
        /// "200 characters as a person counts them" (grapheme clusters), which the worker checks with
        /// the form's messages. Every other status expected of valid data is schemathesis's default.
        static let config = """
            [checks.positive_data_acceptance]
            expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
            """

        @Test("the served document is valid OpenAPI 3.1, and schemathesis finds no failure against the live API")
        func schemathesis() throws {
            let stack = try Stack()
            defer { stack.close() }
            let document = try stack.http.get("/api/openapi.json")
            #expect(document.status == 200)
            let path = stack.box.folder + "/openapi.json"
            try Data(document.body.utf8).write(to: URL(fileURLWithPath: path))
            let validator = try Validators.run(try #require(Validators.python("openapi-spec-validator")), [path], folder: stack.box.folder)
            #expect(validator.status == 0 && validator.output.contains("OK"), "\(validator.output)")

            // A few tasks so reads, patches and deletes of ids 1…5 meet real rows too.
            for index in 1...5 { _ = try stack.createTask(title: "Seed \(index)", due: "2031-01-0\(index)T09:00") }
            let config = stack.box.folder + "/schemathesis.toml"
            try Data(Self.config.utf8).write(to: URL(fileURLWithPath: config))
            let started = monotonicSeconds()
            let run = try Validators.run(try #require(Validators.python("schemathesis")), [
                "--config-file", config, "run", path, "--url", stack.http.base, "--checks", "all",
                // The API has no authentication, so there is nothing for this check to test.
                "--exclude-checks", "ignored_auth",
                "--max-examples", "\(Self.examples)", "--seed", "12", "--workers", "1",
                "--generation-database", "none", "--request-timeout", "10", "--no-color",
            ], folder: stack.box.folder, timeout: 240)
            let summary = run.output.split(separator: "\n").first { $0.contains(" generated, ") } ?? "no summary"
            print("schemathesis (\(Self.examples) examples per operation, \(Int(monotonicSeconds() - started)) s): \(summary.trimmingCharacters(in: .whitespaces))")
            #expect(run.status == 0, "schemathesis found failures:\n\(run.output.suffix(12_000))\n\(stack.diagnostics)")
            #expect(!stack.box.log.contains("failed (request"), "a request hit the 500 path:\n\(stack.diagnostics)")
        }
    }
}
