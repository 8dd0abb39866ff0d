import Crypto
import Foundation
import LetheMemory

/// A gateway's private HPKE key with its key identifier (RFC 9458 §3).
public struct OHTTPPrivateKey: Sendable {
    /// The key identifier clients put in the request header.
    public let keyID: UInt8
    /// Which KEM the key belongs to.
    public let kem: OHTTPKEM

    private let material: Material
    private let publicConfig: OHTTPKeyConfig

    private enum Material: Sendable {
        case x25519(Curve25519.KeyAgreement.PrivateKey)
        case xWing(XWingMLKEM768X25519.PrivateKey)
    }

    private init(keyID: UInt8, material: Material) {
        self.keyID = keyID
        self.material = material
        let publicKey: Data
        switch material {
        case .x25519(let key):
            kem = .x25519
            publicKey = key.publicKey.rawRepresentation
        case .xWing(let key):
            kem = .xWing
            publicKey = key.publicKey.rawRepresentation
        }
        publicConfig = OHTTPKeyConfig(keyID: keyID, kemID: kem.kemID, publicKey: publicKey, suites: OHTTPSymmetricSuite.supported)
    }

    /// Generates a fresh key from the system's secure random source.
    public static func generate(keyID: UInt8, kem: OHTTPKEM) throws -> OHTTPPrivateKey {
        switch kem {
        case .x25519:
            return OHTTPPrivateKey(keyID: keyID, material: .x25519(Curve25519.KeyAgreement.PrivateKey()))
        case .xWing:
            do {
                return OHTTPPrivateKey(keyID: keyID, material: .xWing(try XWingMLKEM768X25519.PrivateKey.generate()))
            } catch {
                throw LetheError.invalidPrivateKey("X-Wing key generation failed")
            }
        }
    }

    /// Restores a key from its raw form: the 32-byte X25519 scalar, or the 32-byte X-Wing seed.
    /// - Throws: `invalid_private_key` when the bytes are not a key.
    public init(keyID: UInt8, kem: OHTTPKEM, rawPrivateKey: Data) throws {
        guard rawPrivateKey.count == kem.privateKeyByteCount else {
            throw LetheError.invalidPrivateKey("a \(kem.rawValue) private key has \(kem.privateKeyByteCount) bytes, not \(rawPrivateKey.count)")
        }
        let material: Material
        do {
            switch kem {
            case .x25519:
                material = .x25519(try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rawPrivateKey))
            case .xWing:
                material = .xWing(try XWingMLKEM768X25519.PrivateKey(seedRepresentation: rawPrivateKey, publicKey: nil))
            }
        } catch {
            throw LetheError.invalidPrivateKey("the \(kem.rawValue) private key bytes were rejected")
        }
        self.init(keyID: keyID, material: material)
    }

    /// The public key config clients need: this key with AES-128-GCM, AES-256-GCM and
    /// ChaCha20-Poly1305, all over HKDF-SHA256.
    public var config: OHTTPKeyConfig { publicConfig }

    /// The raw private key (X25519 scalar or X-Wing seed), for the key file only.
    var rawPrivateKey: Data {
        switch material {
        case .x25519(let key): key.rawRepresentation
        case .xWing(let key): key.seedRepresentation
        }
    }

    /// Sets up the HPKE base-mode receiving context (RFC 9180 §5.1.1, SetupBaseR).
    func makeRecipient(ciphersuite: HPKE.Ciphersuite, info: Data, encapsulatedKey: Data) throws -> HPKE.Recipient {
        switch material {
        case .x25519(let key):
            try HPKE.Recipient(privateKey: key, ciphersuite: ciphersuite, info: info, encapsulatedKey: encapsulatedKey)
        case .xWing(let key):
            try HPKE.Recipient(privateKey: key, ciphersuite: ciphersuite, info: info, encapsulatedKey: encapsulatedKey)
        }
    }
}
