/// The web app on one request thread: routing plus the single place errors become pages.
public enum App {
    /// A handler bound to `context` (and so to that thread's own database connection). Each
    /// handler counts into its own metrics shard: one handler per request thread.
    public static func handler(_ context: AppContext) -> (Request) -> Response {
        let shard = context.metrics?.requests.shard()
        return { request in
            let began = monotonicMicroseconds()
            let (route, parameter) = Route.match(request.path)
            let response: Response
            do { response = try Router.handle(request, context, route: route, parameter: parameter) } catch {
                response = ErrorPages.response(for: error, request: request, requestID: newRequestID, log: context.log)
            }
            shard?.observe(route: route.rawValue, status: response.status, microseconds: monotonicMicroseconds() - began)
            return response
        }
    }

    /// A short random id, shown on a 500 page and written beside the error in the log.
    static func newRequestID() -> String {
        String(UInt64.random(in: 1 << 40 ..< 1 << 44), radix: 16)
    }
}
