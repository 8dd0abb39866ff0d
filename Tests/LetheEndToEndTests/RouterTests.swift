import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LetheServer
import LetheTestSupport
import Testing

/// The worker's routers driven directly, as Hummingbird's own tests drive theirs
/// (`app.test(.router)`): for answers that depend only on the routes, where a socket adds nothing.
@Suite("Routes without a socket")
struct RouterTests {
    /// The problem document's `code`, and its media type.
    static func problem(_ response: TestResponse) -> (code: String?, mediaType: String?) {
        let document = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (document?["code"] as? String, response.headers[.contentType])
    }

    @Test("key discovery serves application/ohttp-keys; a gateway request of another media type gets 415 as a problem document")
    func gateway() async throws {
        try await WorkerHarness().withWorker { worker in
            try await Application(router: worker.makeGatewayRouter()).test(.router) { client in
                try await client.execute(uri: "/.well-known/ohttp-gateway", method: .get) { response in
                    #expect(response.status == .ok && response.headers[.contentType] == "application/ohttp-keys")
                    #expect(response.body.readableBytes > 0)
                }
                try await client.execute(
                    uri: "/.well-known/ohttp-gateway", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "hello")
                ) { response in
                    #expect(response.status == .unsupportedMediaType)
                    #expect(Self.problem(response) == ("unsupported_envelope_media_type", "application/problem+json"))
                }
                try await client.execute(uri: "/no/such/route", method: .get) { response in
                    #expect(response.status == .notFound && Self.problem(response).code == "not_found")
                }
            }
        }
    }

    @Test("ledger routes answer numbers that overflow with malformed_ledger_request, never a trap", arguments: [
        "/ledger/tile/0/x100/x000/x000/x000/x000/000", "/ledger/entries?start=9223372036854775807&end=9223372036854775808",
        "/ledger/proof/inclusion?index=99999999999999999999&size=1",
    ])
    func ledgerNumbers(path: String) async throws {
        try await WorkerHarness().withWorker { worker in
            try await Application(router: worker.makeGatewayRouter()).test(.router) { client in
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .badRequest)
                    #expect(Self.problem(response) == ("malformed_ledger_request", "application/problem+json"))
                }
            }
        }
    }

    @Test("the operator's routes: /metrics needs the admin token (401 problem documents), /readyz says why")
    func admin() async throws {
        try await WorkerHarness(adminToken: "operator-secret").withWorker { worker in
            try await Application(router: worker.makeAdminRouter()).test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .unauthorized && response.headers[.wwwAuthenticate] == "Bearer")
                    #expect(Self.problem(response).code == "missing_token")
                }
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                    #expect(response.status == .unauthorized && Self.problem(response).code == "invalid_token")
                }
                try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "bearer operator-secret"]) { response in
                    #expect(response.status == .ok)
                    #expect(PrometheusText(String(buffer: response.body)).value("lethe_requests_in_flight") == 0)
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    let document = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect(document?["ready"] as? Bool == (response.status == .ok))
                    #expect(document?["published_keys"] as? Int ?? 0 > 0)
                }
            }
        }
    }
}
