-- wrk script for the leak check: cycles through the GET routes (list pages with filters and
-- paging by number and by cursor, a task, the form, the health check, a 404), so every GET code
-- path allocates and frees.
-- STOP_AFTER (environment): each wrk thread stops after that many responses (0: run for -d).
local paths = {
    "/tasks", "/tasks?status=pending", "/tasks?status=completed", "/tasks?page=2",
    "/tasks?page=last", "/tasks?status=pending&after=0.0", "/tasks?before=99999999999999.1",
    "/tasks/1", "/tasks/new", "/healthz", "/no-such-page",
}
local limit = tonumber(os.getenv("STOP_AFTER") or "0") or 0
local sent, seen = 0, 0

function request()
    sent = sent + 1
    return wrk.format("GET", paths[(sent % #paths) + 1])
end

if limit > 0 then
    function response(status, headers, body)
        seen = seen + 1
        if seen >= limit then wrk.thread:stop() end
    end
end
