import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every route — gateway, ledger publication, admin — answers its failures with the same RFC 9457
/// problem document as the gateway's envelope refusals, over real HTTP.
@Suite("Problem documents on every route")
struct RouteProblemTests {
    struct Answer {
        let status: Int
        let headers: [AnyHashable: Any]
        let problem: [String: String]?

        func header(_ name: String) -> String? {
            headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
        }
    }

    static func get(_ url: URL, token: String? = nil) async throws -> Answer {
        var request = URLRequest(url: url)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Answer(
            status: http?.statusCode ?? 0, headers: http?.allHeaderFields ?? [:],
            problem: (try? JSONSerialization.jsonObject(with: data)) as? [String: String])
    }

    @Test("ledger, admin and unknown routes answer application/problem+json with a code, no path or Swift description")
    func everyRouteAnswersProblems() async throws {
        try await WorkerHarness(adminToken: "operator-secret").run { session in
            let gateway = session.baseURL.absoluteString
            let admin = session.adminURL.absoluteString
            let cases: [(url: String, token: String?, status: Int, code: String)] = [
                (gateway + "/no/such/route", nil, 404, "not_found"),
                (gateway + "/ledger/no-such-resource", nil, 404, "not_found"),
                (gateway + "/ledger/tile/0/000", nil, 404, "not_in_ledger"),
                (gateway + "/ledger/entries", nil, 400, "malformed_ledger_request"),
                (gateway + "/ledger/entries?start=5&end=9", nil, 404, "not_in_ledger"),
                (gateway + "/ledger/proof/inclusion?index=9&size=6", nil, 404, "not_in_ledger"),
                (gateway + "/ledger/proof/consistency?old=1", nil, 400, "malformed_ledger_request"),
                (admin + "/metrics", nil, 401, "missing_token"),
                (admin + "/metrics", "wrong", 401, "invalid_token"),
                (admin + "/no/such/route", nil, 404, "not_found"),
            ]
            for item in cases {
                let answer = try await Self.get(URL(string: item.url)!, token: item.token)
                #expect(answer.status == item.status, "\(item.url)")
                #expect(answer.header("Content-Type") == "application/problem+json", "\(item.url)")
                let problem = try #require(answer.problem, "\(item.url): not a problem document of strings")
                #expect(problem["code"] == item.code, "\(item.url)")
                #expect(problem["type"] == "about:blank" && problem["title"]?.isEmpty == false, "\(item.url)")
                let title = problem["title"] ?? ""
                #expect(!title.contains(session.ledgerDirectory.path) && !title.contains("Error") && !title.contains("/tmp"), "\(item.url): \(title)")
                if item.status == 401 { #expect(answer.header("WWW-Authenticate") == "Bearer") }
            }
        }
    }
}
