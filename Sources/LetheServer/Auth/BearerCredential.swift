import Crypto
import Foundation
import LetheMemory

/// An `Authorization: Bearer <token>` credential (RFC 6750 §2.1) checked against a configured
/// secret without leaking it through timing: both sides are hashed to SHA-256 and the digests
/// compared in constant time, so neither the secret's bytes nor its length show in how long a
/// refusal takes.
struct BearerCredential: Sendable {
    private let expectedDigest: [UInt8]

    init(token: String) {
        expectedDigest = Array(SHA256.hash(data: Data(token.utf8)))
    }

    /// The token of a `Bearer` credential: the scheme is case-insensitive (RFC 9110 §11.1) and
    /// followed by one or more spaces; nil for another scheme or an empty token.
    static func token(in authorization: String?) -> Substring? {
        guard let authorization else { return nil }
        let scheme = authorization.prefix(while: { $0 != " " })
        guard scheme.lowercased() == "bearer" else { return nil }
        let token = authorization[scheme.endIndex...].drop(while: { $0 == " " })
        return token.isEmpty ? nil : token
    }

    /// Whether `authorization` carries exactly the configured token.
    func admits(_ authorization: String?) -> Bool {
        // Hashing an absent token too keeps the refusal's cost the same for every request.
        let presented = Self.token(in: authorization) ?? ""
        let matches = ConstantTime.equal(Array(SHA256.hash(data: Data(presented.utf8))), expectedDigest)
        return matches && !presented.isEmpty
    }
}
