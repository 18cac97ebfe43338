/// A config problem, printed as one line naming the file and the key: exit code 78.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    /// The config file.
    public let file: String
    /// The key as a dotted path (`jobs.completeDueTasks.interval`); nil for the file as a whole.
    public let key: String?
    /// What is wrong, in words a person can act on.
    public let problem: String

    public init(file: String, key: String?, problem: String) {
        (self.file, self.key, self.problem) = (file, key, problem)
    }

    public var description: String {
        if let key { return "\(file): \(key): \(problem)" }
        return "\(file): \(problem)"
    }

    /// sysexits.h's EX_CONFIG.
    public static let exitCode: Int32 = 78
}
