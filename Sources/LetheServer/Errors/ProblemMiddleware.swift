import Hummingbird
import LetheImaging
import LetheMemory

/// Makes every failure of a router answer as a `LetheError` problem document: errors Hummingbird
/// raises itself (no route, a body over its limit) get the matching Lethe code, anything else is
/// `internal_error` — never a Swift error description.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as LetheError {
            throw error
        } catch let error as any HTTPResponseError {
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
