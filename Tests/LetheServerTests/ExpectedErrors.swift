import LetheMemory
import LetheServer

/// The error a test expects, named by its documented code among the codes
/// the worker's modules define (equality is by code; another name matches nothing).
func serverError(_ code: String) -> LetheError {
    LetheError.expected(code, among: LetheError.Code.all)
}
