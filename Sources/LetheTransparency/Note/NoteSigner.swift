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
        let (name, key) = try NoteKeyText.parsePrivate(privateKeyString, type: NoteVerifier.keyType, what: "note private key", code: .ledgerKeyInvalid)
        try self.init(name: name, privateKey: key)
    }

    /// The private key string (keep it secret).
    public var privateKeyString: String { NoteKeyText.privateKey(name: name, type: NoteVerifier.keyType, key: privateKey) }

    /// The matching verifier.
    public var verifier: NoteVerifier { NoteVerifier(name: name, publicKey: privateKey.publicKey) }

    /// Signs `text` and returns the 64-byte Ed25519 signature.
    public func signature(for text: Data) throws -> Data {
        try privateKey.signature(for: text)
    }
}

/// The public half: verifier key string `<name>+<hex key id>+<base64(0x01 || public key)>`.
public struct NoteVerifier: Sendable, Equatable {
    /// The signature type byte of Ed25519 signed notes.
    static let keyType: UInt8 = 0x01
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
        (name, publicKey) = try NoteKeyText.parsePublic(verifierKey, type: Self.keyType, what: "verifier key", code: .verifierKeyInvalid)
    }

    /// C2SP signed-note key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key), big-endian.
    public var keyID: UInt32 { NoteKeyText.keyID(name: name, type: Self.keyType, publicKey: publicKey) }

    /// The verifier key string.
    public var verifierKey: String { NoteKeyText.publicKey(name: name, type: Self.keyType, publicKey: publicKey) }

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
