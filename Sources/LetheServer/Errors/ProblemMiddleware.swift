import Hummingbird
import LetheImaging
import LetheMemory

/// Makes every failure of a router answer as a `LetheError` problem document: errors Hummingbird
/// raises itself (no route, a body over its limit) get the matching Lethe code, anything else is
/// `internal_error` — never a Swift error description. A known path asked with a method none of
/// its routes takes answers 405 `method_not_allowed` with `Allow` (RFC 9110 §15.5.6), not 404.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The router's paths and their methods; without it, every unrouted request is 404.
    var allowedMethods = AllowedMethods([])

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as LetheError {
            throw error
        } catch let error as any HTTPResponseError {
            // A path whose methods include this one and still went unrouted is absent (the web
            // client when it is not served): 404 stays.
            if error.status == .notFound, let methods = allowedMethods.methods(forPath: request.uri.path), !methods.contains(request.method),
                let allow = allowedMethods.allowHeader(forPath: request.uri.path)
            {
                var response = LetheError(.methodNotAllowed, "this path does not take this method").problemResponse()
                response.headers[.allow] = allow
                return response
            }
            throw LetheError(hummingbirdStatus: error.status)
        } catch {
            // The type, not the description: descriptions may quote what was being processed.
            context.logger.error("unexpected error answered as internal_error", metadata: ["error_type": "\(type(of: error))"])
            throw LetheError.internalError
        }
    }
}

extension LetheError {
    /// The code for a status Hummingbird answered on its own.
    init(hummingbirdStatus status: HTTPResponse.Status) {
        switch status {
        case .notFound: self = LetheError(.notFound, "nothing is published at this path")
        case .methodNotAllowed: self = LetheError(.methodNotAllowed, "this path does not take this method")
        case .contentTooLarge: self = LetheError(.payloadTooLarge, "the request body is over the limit")
        default: self = .internalError
        }
    }
}
