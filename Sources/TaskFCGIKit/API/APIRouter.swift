/// The JSON API under `/api/`.
enum APIRouter {
    static func handle(_ request: Request, _ app: AppContext, route: Route, parameter: String?) -> Response? {
        nil
    }
}
