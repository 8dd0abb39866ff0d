import Foundation
import HTTPTypes
import Hummingbird
import LetheMemory

/// Serves the browser client (`--serve-web-client`) on the device port under `/web/`, with a
/// strict Content-Security-Policy: scripts and styles only from this origin, images only from
/// here or `blob:` (the page's own object URLs), fetches only to this origin, no framing, no forms.
struct WebClientRoutes: Sendable {
    let files: WebClientFiles

    /// Path prefix of the page and its modules.
    static let pathPrefix = "/web"

    /// The policy of every web client response (CSP Level 3).
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    func register(on router: Router<BasicRequestContext>) {
        // `/web` and `/web/` are one route to Hummingbird.
        router.get(RouterPath(Self.pathPrefix)) { _, _ in
            Response(status: .seeOther, headers: [.location: Self.pathPrefix + "/index.html"])
        }
        router.get(RouterPath(Self.pathPrefix + "/:file")) { _, context in
            // The same problem document as an unserved `/web/…` or any other unknown path.
            guard let name = context.parameters.get("file"), let file = files.file(named: name) else {
                throw LetheError(.notFound, "no such web client file")
            }
            return Response(status: .ok, headers: Self.headers(contentType: file.contentType), body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }

    private static func headers(contentType: String) -> HTTPFields {
        [
            .contentType: contentType,
            .contentSecurityPolicy: contentSecurityPolicy,
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
            .cacheControl: "no-cache",
        ]
    }
}
