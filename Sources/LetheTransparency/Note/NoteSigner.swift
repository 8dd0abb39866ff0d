import Crypto
import Foundation
import LetheMemory

/// An Ed25519 key for C2SP signed notes (https://c2sp.org/signed-note): the ledger's signing key.
///
/// Stored in the `golang.org/x/mod/sumdb/note` private key form
/// `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>`, so Go tooling can use it too.
public struct NoteSigner: Sendable {
    /// Key name: the checkpoint origin it signs for.
    public let name: String
    let privateKey: Curve25519.Signing.PrivateKey

    /// Wraps an Ed25519 key under `name` (no spaces, newlines or `+`).
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        try NoteVerifier.checkName(name)
        self.name = name
        self.privateKey = privateKey
    }

    /// A fresh random key.
    public static func generate(name: String) throws -> NoteSigner {
        try NoteSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`, checking the id.
    public init(privateKeyString: String) throws {
        let text = privateKeyString.trimmingCharacters(in: .whitespacesAndNewlines)
        // The base64 part can itself contain '+': split off exactly four fields.
        let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
            let material = Data(base64Encoded: parts[4]), material.count == 33, material.first == 0x01,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: material.dropFirst())
        else {
            throw LetheError(.ledgerKeyInvalid, "not an Ed25519 note private key (PRIVATE+KEY+name+id+key)")
        }
        try self.init(name: parts[2], privateKey: key)
        guard parts[3] == String(format: "%08x", verifier.keyID) else {
            throw LetheError(.ledgerKeyInvalid, "the key id \(parts[3]) does not match the key")
        }
    }

    /// The private key string (keep it secret).
    public var privateKeyString: String {
        "PRIVATE+KEY+\(name)+\(String(format: "%08x", verifier.keyID))+\((Data([0x01]) + privateKey.rawRepresentation).base64EncodedString())"
    }

    /// The matching verifier.
    public var verifier: NoteVerifier { NoteVerifier(name: name, publicKey: privateKey.publicKey) }

    /// Signs `text` and returns the 64-byte Ed25519 signature.
    public func signature(for text: Data) throws -> Data {
        try privateKey.signature(for: text)
    }
}

/// The public half: verifier key string `<name>+<hex key id>+<base64(0x01 || public key)>`.
public struct NoteVerifier: Sendable, Equatable {
    /// Key name (the origin).
    public let name: String
    /// Raw 32-byte Ed25519 public key.
    public let publicKey: Data

    /// From a name and an Ed25519 public key.
    public init(name: String, publicKey: Curve25519.Signing.PublicKey) {
        self.name = name
        self.publicKey = publicKey.rawRepresentation
    }

    /// Parses a C2SP verifier key `<name>+<hex id>+<base64(0x01 || key)>`, checking the id.
    public init(verifierKey: String) throws {
        let text = verifierKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let material = Data(base64Encoded: parts[2]), material.count == 33, material.first == 0x01,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: material.dropFirst())) != nil
        else {
            throw LetheError(.verifierKeyInvalid, "not an Ed25519 verifier key (name+keyid+base64)")
        }
        try Self.checkName(parts[0])
        self.name = parts[0]
        self.publicKey = Data(material.dropFirst())
        guard parts[1] == String(format: "%08x", keyID) else {
            throw LetheError(.verifierKeyInvalid, "the key id \(parts[1]) does not match the key")
        }
    }

    /// C2SP signed-note key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), big-endian.
    public var keyID: UInt32 {
        var hasher = SHA256()
        hasher.update(data: Data(name.utf8))
        hasher.update(data: [0x0A, 0x01])
        hasher.update(data: publicKey)
        return Data(hasher.finalize()).prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The verifier key string.
    public var verifierKey: String {
        "\(name)+\(String(format: "%08x", keyID))+\((Data([0x01]) + publicKey).base64EncodedString())"
    }

    /// Checks an Ed25519 signature of `text`.
    public func isValidSignature(_ signature: Data, for text: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: text)
    }

    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.contains(where: { $0 == "+" || $0.isWhitespace || $0.isNewline }) else {
            throw LetheError(.verifierKeyInvalid, "a key name must be non-empty without spaces, newlines or '+'")
        }
    }
}
