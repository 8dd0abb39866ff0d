import Crypto
import Foundation
import LetheMemory

/// The C2SP key strings of the ledger's note keys (type 0x01, https://c2sp.org/signed-note) and
/// of witnesses' cosigner keys (type 0x04, https://c2sp.org/tlog-cosignature): the private
/// `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>` (golang.org/x/mod/sumdb/note's form)
/// and the public `<name>+<hex key id>+<base64(type || public key)>`.
enum NoteKeyText {
    /// The key id: the first 4 bytes of SHA-256(name || 0x0A || type || public key), big-endian.
    static func keyID(name: String, type: UInt8, publicKey: Data) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Data(name.utf8))
        hasher.update(data: [0x0A, type])
        hasher.update(data: publicKey)
        return Data(hasher.finalize()).prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The private key string.
    static func privateKey(name: String, type: UInt8, key: Curve25519.Signing.PrivateKey) -> String {
        let id = keyID(name: name, type: type, publicKey: key.publicKey.rawRepresentation)
        return "PRIVATE+KEY+\(name)+\(String(format: "%08x", id))+\((Data([type]) + key.rawRepresentation).base64EncodedString())"
    }

    /// The public key string.
    static func publicKey(name: String, type: UInt8, publicKey: Data) -> String {
        "\(name)+\(String(format: "%08x", keyID(name: name, type: type, publicKey: publicKey)))+\((Data([type]) + publicKey).base64EncodedString())"
    }

    /// The name and the Ed25519 key of a private key string of `type`, its name and key id
    /// checked; otherwise `code`, the message naming the key as `what` ("note private key").
    static func parsePrivate(
        _ text: String, type: UInt8, what: String, code: LetheError.Code
    ) throws -> (name: String, key: Curve25519.Signing.PrivateKey) {
        // The base64 part can itself contain '+': split off exactly four fields.
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
            .map(String.init)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY",
            let material = Data(base64Encoded: parts[4]), material.count == 33, material.first == type,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: material.dropFirst())
        else { throw LetheError(code, "not an Ed25519 \(what) (PRIVATE+KEY+name+keyid+base64(\(hex(type))||seed))") }
        try checkKeyID(parts[3], name: parts[2], type: type, publicKey: key.publicKey.rawRepresentation, code: code)
        return (parts[2], key)
    }

    /// The name and the raw Ed25519 public key of a public key string of `type`, its name and key
    /// id checked; otherwise `code`, the message naming the key as `what` ("verifier key").
    static func parsePublic(_ text: String, type: UInt8, what: String, code: LetheError.Code) throws -> (name: String, publicKey: Data) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
            .map(String.init)
        guard parts.count == 3, let material = Data(base64Encoded: parts[2]), material.count == 33, material.first == type,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: material.dropFirst())) != nil
        else { throw LetheError(code, "not an Ed25519 \(what) (name+keyid+base64(\(hex(type))||key))") }
        let publicKey = Data(material.dropFirst())
        try checkKeyID(parts[1], name: parts[0], type: type, publicKey: publicKey, code: code)
        return (parts[0], publicKey)
    }

    /// A key name (`NoteVerifier.checkName`) and the key id as written against the key's.
    private static func checkKeyID(_ written: String, name: String, type: UInt8, publicKey: Data, code: LetheError.Code) throws {
        try NoteVerifier.checkName(name)
        guard written == String(format: "%08x", keyID(name: name, type: type, publicKey: publicKey)) else {
            throw LetheError(code, "the key id \(written) does not match the key")
        }
    }

    private static func hex(_ type: UInt8) -> String { String(format: "0x%02x", type) }
}
