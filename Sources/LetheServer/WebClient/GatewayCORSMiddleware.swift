import HTTPTypes
import Hummingbird

/// CORS (Fetch standard §3.2) for pages served from another origin (`--cors-origin`): only the
/// gateway path (key discovery and requests) and only for origins matched exactly. The receipt
/// header is exposed so the page can verify the deletion.
struct GatewayCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>
    let path: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == path, let origin = request.headers[.origin] else {
            return try await next(request, context)
        }
        let allowed = allowedOrigins.contains(origin)
        if request.method == .options {
            // A preflight: answered here, never passed on. A foreign origin gets no allowance.
            guard allowed else { return Response(status: .forbidden, headers: [.vary: "Origin"]) }
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: origin,
                .accessControlAllowMethods: "GET, POST",
                .accessControlAllowHeaders: "content-type, accept",
                .accessControlMaxAge: "600",
                .vary: "Origin",
            ])
        }
        var response = try await next(request, context)
        response.headers[.vary] = "Origin"
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "Lethe-Receipt, Retry-After"
        }
        return response
    }
}
