/// `GET /api/queue` and `POST /api/queue/{id}/retry|discard`: the queue section of `/jobs` for programs.
enum APIQueue {
    static func view(_ request: Request, _ app: AppContext) throws -> Response {
        APIResponse.json(200, QueueActions.json(try QueueActions.view(app)))
    }

    static func act(_ action: QueueActions.Action, _ request: Request, _ app: AppContext, id: String, by who: Operator?) throws -> Response {
        guard let job = try QueueActions.apply(action, id: id, app, by: who) else {
            return APIResponse.json(200, "{\"id\":\(Int64(id) ?? 0),\"state\":\"removed\"}")
        }
        return APIResponse.json(200, QueueActions.json(job))
    }
}
