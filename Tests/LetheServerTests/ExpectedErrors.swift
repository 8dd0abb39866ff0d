import LetheMemory
import LetheServer
import Testing

/// The error a test expects, named by its documented code (equality is by code). Records an issue
/// when the code is not one the worker defines.
func serverError(_ code: String, sourceLocation: SourceLocation = #_sourceLocation) -> LetheError {
    guard let match = LetheError.Code.named(code, in: LetheError.Code.all) else {
        Issue.record("\(code) is not a code of the worker", sourceLocation: sourceLocation)
        return LetheError(LetheError.Code(code, .internal), "")
    }
    return LetheError(match, "")
}
