-- wrk script: a live page's poll while nothing changes: GET /tasks/changes with If-None-Match
-- holding the current change token (TOKEN in the environment, with its quotes), answered 304.
wrk.headers["If-None-Match"] = os.getenv("TOKEN")
