-- wrk script: POST /tasks with a urlencoded form, as the browser's form sends it.
-- POST_BODY (environment) overrides the body; the default title needs escaping when listed,
-- and the due date (datetime-local, to the minute) lies in the future, so the job leaves it.
local body = os.getenv("POST_BODY")
if body == nil or body == "" then
    body = "title=Buy+milk+%26+eggs+%3Cfresh%3E+for+%22Sam%27s%22+party&due=2027-01-01T09:00"
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = body
