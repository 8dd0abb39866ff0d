import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension URLSession {
    /// `data(for:)` for the worker and the device client. On Linux the request is shielded from
    /// the caller's cancellation and ends with its answer or its `timeoutInterval`:
    /// FoundationNetworking cancels an async data task from the task's cancellation handler
    /// (`URLSessionTask.cancel`, a `sync` on the session's work queue, under the task's status
    /// lock), which can deadlock against the session's other async data tasks. It was seen as a
    /// whole test process stuck for good when a worker's shutdown cancelled a witness submission
    /// in flight: the cancelling thread waited for the work queue, the calls on the work queue
    /// for the status lock. Apple's URLSession cancels safely, so there it is `data(for:)`.
    public func dataCompletingDespiteCancellation(for request: URLRequest) async throws -> (Data, URLResponse) {
        #if canImport(FoundationNetworking)
        // The completion-handler task: nothing registers a cancellation handler, so URLSession's
        // cancellation path is never taken, and the caller resumes on its own executor (an
        // unstructured `Task` would run on the shared pool instead, which tests keep busy).
        try await withCheckedThrowingContinuation { continuation in
            dataTask(with: request) { data, response, error in
                if let data, let response {
                    continuation.resume(returning: (data, response))
                } else {
                    continuation.resume(throwing: error ?? URLError(.badServerResponse))
                }
            }.resume()
        }
        #else
        try await data(for: request)
        #endif
    }
}
