/// The web app on one request thread: routing plus the single place errors become pages.
public enum App {
    /// A handler bound to `context` (and so to that thread's own database connection).
    public static func handler(_ context: AppContext) -> (Request) -> Response {
        return { request in
            do { return try Router.handle(request, context) } catch {
                return ErrorPages.response(for: error, request: request, requestID: newRequestID, log: context.log)
            }
        }
    }

    /// A short random id, shown on a 500 page and written beside the error in the log.
    static func newRequestID() -> String {
        String(UInt64.random(in: 1 << 40 ..< 1 << 44), radix: 16)
    }
}
