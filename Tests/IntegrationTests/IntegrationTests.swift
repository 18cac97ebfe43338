import Testing

/// Every integration test runs one at a time: each starts real processes (the worker, nginx,
/// curl, sqlite3) and several measure time, so they must not compete for the machine's cores.
/// The suites nested below (in the other files) inherit `.serialized`.
@Suite(.serialized)
struct IntegrationTests {}
