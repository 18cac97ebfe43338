import Testing
@testable import TaskFCGIKit

/// `Route.match` compares bytes in place; these are the answers of the plain reading (split the
/// path on "/", drop what precedes the first one) for the paths that matter and the odd ones.
@Suite struct RouteMatchTests {
    @Test(arguments: [
        ("/", Route.root, nil), ("", .unknown, nil), ("tasks", .unknown, nil), ("x/tasks", .tasks, nil),
        ("//", .unknown, nil), ("/healthz", .healthz, nil), ("/healthz/", .unknown, nil), ("/status", .status, nil),
        ("/metrics", .metrics, nil), ("/metrics/x", .unknown, nil), ("/jobs", .jobs, nil), ("/jobs/", .unknown, nil),
        ("/jobs/purge/run", .jobRun, "purge"), ("/jobs//run", .jobRun, ""), ("/jobs/purge/run/", .unknown, nil),
        ("/jobs/purge", .unknown, nil), ("/tasks", .tasks, nil), ("/tasks/", .task, ""), ("/tasks/new", .taskNew, nil),
        ("/tasks/12", .task, "12"), ("/tasks/12/edit", .taskEdit, "12"), ("/tasks/12/delete", .taskDelete, "12"),
        ("/tasks/12/other", .unknown, nil), ("/tasks/12/edit/x", .unknown, nil), ("/tasks/é", .task, "é"),
        ("/api", .apiUnknown, nil), ("/api/", .apiUnknown, nil), ("/api/tasks", .apiTasks, nil),
        ("/api/tasks/7", .apiTask, "7"), ("/api/tasks/7/x", .apiUnknown, nil), ("/api/jobs", .apiJobs, nil),
        ("/api/jobs/purge/run", .apiJobRun, "purge"), ("/api/jobs/purge/pause", .apiJobPause, "purge"),
        ("/api/jobs/purge/resume", .apiJobResume, "purge"), ("/jobs/purge/pause", .jobPause, "purge"),
        ("/jobs/purge/resume", .jobResume, "purge"), ("/jobs/purge/stop", .unknown, nil), ("/api/jobs/purge", .apiUnknown, nil),
        ("/api/openapi.json", .apiOpenAPI, nil), ("/api/openapi.json/x", .apiUnknown, nil), ("/api/other", .apiUnknown, nil),
        ("/Tasks", .unknown, nil), ("/tasksx", .unknown, nil), ("/healthzz", .unknown, nil), ("/a/b/c/d/e/f/g", .unknown, nil),
    ] as [(String, Route, String?)])
    func matches(path: String, route: Route, parameter: String?) {
        let matched = Route.match(path)
        #expect(matched.route == route)
        #expect(matched.parameter == parameter)
    }
}
