import Glibc

/// Every address the app answers, as a template: the router dispatches on it and `/metrics`
/// counts by it, so label values stay a short fixed list whatever paths clients send.
public enum Route: Int, CaseIterable, Sendable {
    case root, healthz, status, metrics, jobs, jobRun, jobPause, jobResume
    case tasks, taskNew, task, taskEdit, taskDelete, taskChanges, asset
    case apiTasks, apiTask, apiJobs, apiJobRun, apiJobPause, apiJobResume, apiOpenAPI, apiUnknown
    case apiAudit
    case queueRetry, queueDiscard, apiQueue, apiQueueRetry, apiQueueDiscard
    /// Any other path (a 404).
    case unknown

    /// The template as `/metrics` labels it.
    public var template: String {
        switch self {
        case .root: return "/"
        case .healthz: return "/healthz"
        case .status: return "/status"
        case .metrics: return "/metrics"
        case .jobs: return "/jobs"
        case .jobRun: return "/jobs/{name}/run"
        case .jobPause: return "/jobs/{name}/pause"
        case .jobResume: return "/jobs/{name}/resume"
        case .tasks: return "/tasks"
        case .taskNew: return "/tasks/new"
        case .task: return "/tasks/{id}"
        case .taskEdit: return "/tasks/{id}/edit"
        case .taskDelete: return "/tasks/{id}/delete"
        case .taskChanges: return "/tasks/changes"
        case .asset: return "/assets/{name}"
        case .apiTasks: return "/api/tasks"
        case .apiTask: return "/api/tasks/{id}"
        case .apiJobs: return "/api/jobs"
        case .apiJobRun: return "/api/jobs/{name}/run"
        case .apiJobPause: return "/api/jobs/{name}/pause"
        case .apiJobResume: return "/api/jobs/{name}/resume"
        case .apiOpenAPI: return "/api/openapi.json"
        case .apiUnknown: return "/api/other"
        case .apiAudit: return "/api/audit"
        case .queueRetry: return "/jobs/queue/{id}/retry"
        case .queueDiscard: return "/jobs/queue/{id}/discard"
        case .apiQueue: return "/api/queue"
        case .apiQueueRetry: return "/api/queue/{id}/retry"
        case .apiQueueDiscard: return "/api/queue/{id}/discard"
        case .unknown: return "other"
        }
    }

    /// The route for `path` and its one variable segment (a task id or job name), if any. Every
    /// request is matched, so the segments are compared as bytes where they lie: no array of
    /// substrings, no allocation but the parameter's String.
    public static func match(_ path: String) -> (route: Route, parameter: String?) {
        var path = path
        return path.withUTF8 { bytes in
            withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: Segments.kept) { ranges in
                match(Segments(bytes, ranges: ranges))
            }
        }
    }

    private static func match(_ path: Segments) -> (route: Route, parameter: String?) {
        // What precedes the first "/" is not a segment (it is empty for every absolute path).
        guard path.count > 1 else { return (.unknown, nil) }
        let single = path.count == 2
        if path.is(1, "") { return single ? (.root, nil) : (.unknown, nil) }
        if path.is(1, "healthz") { return single ? (.healthz, nil) : (.unknown, nil) }
        if path.is(1, "status") { return single ? (.status, nil) : (.unknown, nil) }
        if path.is(1, "metrics") { return single ? (.metrics, nil) : (.unknown, nil) }
        if path.is(1, "jobs"), path.is(2, "queue") { return queue(path, from: 3, acts: (.queueRetry, .queueDiscard), otherwise: .unknown) }
        if path.is(1, "jobs") { return jobs(path, from: 2, list: .jobs, acts: (.jobRun, .jobPause, .jobResume), otherwise: .unknown) }
        if path.is(1, "tasks") { return tasks(path) }
        if path.is(1, "api") { return api(path) }
        if path.is(1, "assets") { return path.count == 3 ? (.asset, path.string(2)) : (.unknown, nil) }
        return (.unknown, nil)
    }

    /// `name/run`, `name/pause`, `name/resume` (or nothing) from segment `from` on.
    private static func jobs(_ path: Segments, from: Int, list: Route, acts: (run: Route, pause: Route, resume: Route),
                             otherwise: Route) -> (Route, String?) {
        let rest = path.count - from
        if rest == 0 { return (list, nil) }
        guard rest == 2 else { return (otherwise, nil) }
        if path.is(from + 1, "run") { return (acts.run, path.string(from)) }
        if path.is(from + 1, "pause") { return (acts.pause, path.string(from)) }
        if path.is(from + 1, "resume") { return (acts.resume, path.string(from)) }
        return (otherwise, nil)
    }

    /// `id/retry` or `id/discard` from segment `from` on.
    private static func queue(_ path: Segments, from: Int, acts: (retry: Route, discard: Route), otherwise: Route) -> (Route, String?) {
        guard path.count - from == 2 else { return (otherwise, nil) }
        if path.is(from + 1, "retry") { return (acts.retry, path.string(from)) }
        if path.is(from + 1, "discard") { return (acts.discard, path.string(from)) }
        return (otherwise, nil)
    }

    private static func tasks(_ path: Segments) -> (Route, String?) {
        switch path.count - 2 {
        case 0: return (.tasks, nil)
        case 1 where path.is(2, "new"): return (.taskNew, nil)
        case 1 where path.is(2, "changes"): return (.taskChanges, nil)
        case 1: return (.task, path.string(2))
        case 2 where path.is(3, "edit"): return (.taskEdit, path.string(2))
        case 2 where path.is(3, "delete"): return (.taskDelete, path.string(2))
        default: return (.unknown, nil)
        }
    }

    private static func api(_ path: Segments) -> (Route, String?) {
        guard path.count > 2 else { return (.apiUnknown, nil) }
        let tail = path.count - 3
        if path.is(2, "tasks"), tail == 0 { return (.apiTasks, nil) }
        if path.is(2, "tasks"), tail == 1 { return (.apiTask, path.string(3)) }
        if path.is(2, "jobs") {
            return jobs(path, from: 3, list: .apiJobs, acts: (.apiJobRun, .apiJobPause, .apiJobResume), otherwise: .apiUnknown)
        }
        if path.is(2, "openapi.json"), tail == 0 { return (.apiOpenAPI, nil) }
        if path.is(2, "audit"), tail == 0 { return (.apiAudit, nil) }
        if path.is(2, "queue"), tail == 0 { return (.apiQueue, nil) }
        if path.is(2, "queue") { return queue(path, from: 3, acts: (.apiQueueRetry, .apiQueueDiscard), otherwise: .apiUnknown) }
        return (.apiUnknown, nil)
    }
}

/// The "/"-separated segments of a path, empty ones included, as byte ranges of the path (in
/// a buffer on the caller's stack); the first `kept` are kept (no route is deeper), all are counted.
private struct Segments {
    static let kept = 5
    let bytes: UnsafeBufferPointer<UInt8>
    private let ranges: UnsafeMutableBufferPointer<Range<Int>>
    private(set) var count = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, ranges: UnsafeMutableBufferPointer<Range<Int>>) {
        (self.bytes, self.ranges) = (bytes, ranges)
        var start = 0
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "/") {
            if count < Self.kept { (ranges.baseAddress! + count).initialize(to: start..<index) }
            count += 1
            start = index + 1
        }
    }

    /// Whether segment `segment` exists, is kept, and is exactly `literal`.
    func `is`(_ segment: Int, _ literal: StaticString) -> Bool {
        guard segment < Self.kept, segment < count else { return false }
        let range = ranges[segment]
        guard range.count == literal.utf8CodeUnitCount else { return false }
        return range.count == 0 || memcmp(bytes.baseAddress! + range.lowerBound, literal.utf8Start, range.count) == 0
    }

    /// Segment `segment` (which must exist and be kept) as text.
    func string(_ segment: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[ranges[segment]]), as: UTF8.self)
    }
}
