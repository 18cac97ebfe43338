/// Every address the app answers, as a template: the router dispatches on it and `/metrics`
/// counts by it, so label values stay a short fixed list whatever paths clients send.
public enum Route: Int, CaseIterable, Sendable {
    case root, healthz, status, metrics, jobs, jobRun
    case tasks, taskNew, task, taskEdit, taskDelete, taskChanges, asset
    case apiTasks, apiTask, apiJobs, apiJobRun, apiOpenAPI, apiUnknown
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
        case .apiOpenAPI: return "/api/openapi.json"
        case .apiUnknown: return "/api/other"
        case .unknown: return "other"
        }
    }

    /// The route for `path` and its one variable segment (a task id or job name), if any.
    public static func match(_ path: String) -> (route: Route, parameter: String?) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard let first = parts.first else { return (.unknown, nil) }
        let rest = Array(parts.dropFirst())
        switch first {
        case "": return rest.isEmpty ? (.root, nil) : (.unknown, nil)
        case "healthz": return rest.isEmpty ? (.healthz, nil) : (.unknown, nil)
        case "status": return rest.isEmpty ? (.status, nil) : (.unknown, nil)
        case "metrics": return rest.isEmpty ? (.metrics, nil) : (.unknown, nil)
        case "jobs": return jobs(rest, list: .jobs, run: .jobRun, otherwise: .unknown)
        case "tasks": return tasks(rest)
        case "api": return api(rest)
        case "assets": return rest.count == 1 ? (.asset, String(rest[0])) : (.unknown, nil)
        default: return (.unknown, nil)
        }
    }

    private static func jobs(_ rest: [Substring], list: Route, run: Route, otherwise: Route) -> (Route, String?) {
        if rest.isEmpty { return (list, nil) }
        if rest.count == 2, rest[1] == "run" { return (run, String(rest[0])) }
        return (otherwise, nil)
    }

    private static func tasks(_ rest: [Substring]) -> (Route, String?) {
        switch rest.count {
        case 0: return (.tasks, nil)
        case 1 where rest[0] == "new": return (.taskNew, nil)
        case 1 where rest[0] == "changes": return (.taskChanges, nil)
        case 1: return (.task, String(rest[0]))
        case 2 where rest[1] == "edit": return (.taskEdit, String(rest[0]))
        case 2 where rest[1] == "delete": return (.taskDelete, String(rest[0]))
        default: return (.unknown, nil)
        }
    }

    private static func api(_ rest: [Substring]) -> (Route, String?) {
        guard let first = rest.first else { return (.apiUnknown, nil) }
        let tail = Array(rest.dropFirst())
        switch first {
        case "tasks" where tail.isEmpty: return (.apiTasks, nil)
        case "tasks" where tail.count == 1: return (.apiTask, String(tail[0]))
        case "jobs": return jobs(tail, list: .apiJobs, run: .apiJobRun, otherwise: .apiUnknown)
        case "openapi.json" where tail.isEmpty: return (.apiOpenAPI, nil)
        default: return (.apiUnknown, nil)
        }
    }
}
