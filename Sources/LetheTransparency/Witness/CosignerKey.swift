import Crypto
import Foundation
import LetheMemory

/// A witness's Ed25519 cosigning key (C2SP tlog-cosignature, https://c2sp.org/tlog-cosignature).
///
/// Stored as `PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || 32-byte seed)>`: the signed-note
/// private key form with the cosignature type byte 0x04, so that it can never be mistaken for (or
/// loaded as) a ledger key, whose type byte is 0x01.
public struct CosignerSigner: Sendable {
    /// The cosigner's name (a schema-less URL such as `witness.example/w1`).
    public let name: String
    let privateKey: Curve25519.Signing.PrivateKey

    /// Wraps an Ed25519 key under `name` (no spaces, newlines or `+`).
    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        try NoteVerifier.checkName(name)
        self.name = name
        self.privateKey = privateKey
    }

    /// A fresh random key.
    public static func generate(name: String) throws -> CosignerSigner {
        try CosignerSigner(name: name, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>`, checking the id.
    public init(privateKeyString: String) throws {
        let (name, key) = try NoteKeyText.parsePrivate(
            privateKeyString, type: CosignerVerifier.keyType, what: "cosigner private key", code: .witnessKeyInvalid)
        try self.init(name: name, privateKey: key)
    }

    /// The private key string (keep it secret).
    public var privateKeyString: String { NoteKeyText.privateKey(name: name, type: CosignerVerifier.keyType, key: privateKey) }

    /// The matching verifier.
    public var verifier: CosignerVerifier { CosignerVerifier(name: name, publicKey: privateKey.publicKey.rawRepresentation) }

    /// The cosignature/v1 signature line over `checkpointBody` at POSIX time `timestamp`:
    /// `— <name> base64(key id || u64 timestamp || Ed25519 signature)`.
    public func cosign(checkpointBody: String, timestamp: UInt64) throws -> SignedNote.Signature {
        let signature = try privateKey.signature(for: CosignerVerifier.message(checkpointBody: checkpointBody, timestamp: timestamp))
        return SignedNote.Signature(name: name, keyID: verifier.keyID, signature: CosignerVerifier.bigEndian(timestamp) + signature)
    }
}

/// A witness's public key: the C2SP vkey `<name>+<hex key id>+<base64(0x04 || public key)>`.
public struct CosignerVerifier: Sendable, Equatable, Hashable {
    /// The signature type byte of Ed25519 cosignature/v1 (tlog-cosignature §Format).
    public static let keyType: UInt8 = 0x04
    /// The cosigner's name.
    public let name: String
    /// Raw 32-byte Ed25519 public key.
    public let publicKey: Data

    init(name: String, publicKey: Data) {
        self.name = name
        self.publicKey = publicKey
    }

    /// Parses a cosigner vkey, checking the type byte and the key id.
    public init(verifierKey: String) throws {
        let (name, publicKey) = try NoteKeyText.parsePublic(verifierKey, type: Self.keyType, what: "cosigner verifier key", code: .witnessKeyInvalid)
        self.init(name: name, publicKey: publicKey)
    }

    /// tlog-cosignature key id: `SHA-256(<name> || "\n" || 0x04 || public key)[:4]`, big-endian.
    public var keyID: UInt32 { NoteKeyText.keyID(name: name, type: Self.keyType, publicKey: publicKey) }

    /// The vkey string.
    public var verifierKey: String { NoteKeyText.publicKey(name: name, type: Self.keyType, publicKey: publicKey) }

    /// The cosignature/v1 signed message (tlog-cosignature §"Ed25519 signed message"):
    /// `cosignature/v1\ntime <decimal>\n` followed by the whole checkpoint body.
    public static func message(checkpointBody: String, timestamp: UInt64) -> Data {
        Data("cosignature/v1\ntime \(timestamp)\n\(checkpointBody)".utf8)
    }

    /// Checks one signature line against this cosigner and the checkpoint body.
    /// - Returns: the cosignature's timestamp, or nil when the line is not this cosigner's or
    ///   does not verify (a timestamp above 2^63 - 1 does not verify).
    public func timestamp(of line: SignedNote.Signature, checkpointBody: String) -> UInt64? {
        guard line.name == name, line.keyID == keyID, line.signature.count == 8 + 64,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return nil }
        let timestamp = line.signature.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= UInt64(Int64.max),
            key.isValidSignature(line.signature.dropFirst(8), for: Self.message(checkpointBody: checkpointBody, timestamp: timestamp))
        else { return nil }
        return timestamp
    }

    static func bigEndian(_ value: UInt64) -> Data {
        withUnsafeBytes(of: value.bigEndian) { Data($0) }
    }
}
