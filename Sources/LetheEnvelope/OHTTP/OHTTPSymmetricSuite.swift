import Crypto

/// One HPKE symmetric algorithm pair (KDF, AEAD) as listed in a key config (RFC 9458 §3.1).
///
/// Any pair can be decoded from a config; only HKDF-SHA256 with AES-128-GCM, AES-256-GCM or
/// ChaCha20-Poly1305 can be used (`isSupported`).
public struct OHTTPSymmetricSuite: Hashable, Sendable, CustomStringConvertible {
    /// HPKE KDF identifier (RFC 9180 §7.2), e.g. 0x0001 for HKDF-SHA256.
    public let kdfID: UInt16
    /// HPKE AEAD identifier (RFC 9180 §7.3), e.g. 0x0001 for AES-128-GCM.
    public let aeadID: UInt16

    /// Creates a pair from its registry identifiers.
    public init(kdfID: UInt16, aeadID: UInt16) {
        self.kdfID = kdfID
        self.aeadID = aeadID
    }

    /// HKDF-SHA256 with AES-128-GCM (the RFC 9458 Appendix A suite).
    public static let hkdfSHA256AES128GCM = OHTTPSymmetricSuite(kdfID: 0x0001, aeadID: 0x0001)
    /// HKDF-SHA256 with AES-256-GCM.
    public static let hkdfSHA256AES256GCM = OHTTPSymmetricSuite(kdfID: 0x0001, aeadID: 0x0002)
    /// HKDF-SHA256 with ChaCha20-Poly1305.
    public static let hkdfSHA256ChaCha20Poly1305 = OHTTPSymmetricSuite(kdfID: 0x0001, aeadID: 0x0003)

    /// The pairs this module can use, in the order Lethe advertises them.
    public static let supported: [OHTTPSymmetricSuite] = [
        .hkdfSHA256AES128GCM, .hkdfSHA256AES256GCM, .hkdfSHA256ChaCha20Poly1305,
    ]

    /// True when this module implements both the KDF and the AEAD.
    public var isSupported: Bool { hpkeKDF != nil && hpkeAEAD != nil }

    /// `kdf=0x0001 aead=0x0001` (identifiers only).
    public var description: String {
        "kdf=0x\(String(kdfID, radix: 16)) aead=0x\(String(aeadID, radix: 16))"
    }

    // RFC 9180 §7.2, §7.3 registry values (swift-crypto keeps its own `value` behind SPI).
    static let hkdfSHA256ID: UInt16 = 0x0001
    static let aes128GCMID: UInt16 = 0x0001
    static let aes256GCMID: UInt16 = 0x0002
    static let chaCha20Poly1305ID: UInt16 = 0x0003

    var hpkeKDF: HPKE.KDF? {
        kdfID == Self.hkdfSHA256ID ? .HKDF_SHA256 : nil
    }

    var hpkeAEAD: HPKE.AEAD? {
        switch aeadID {
        case Self.aes128GCMID: .AES_GCM_128
        case Self.aes256GCMID: .AES_GCM_256
        case Self.chaCha20Poly1305ID: .chaChaPoly
        default: nil
        }
    }

    /// Nk, the AEAD key length in bytes (RFC 9180 §7.3); 0 when unsupported.
    var aeadKeyByteCount: Int {
        switch aeadID {
        case Self.aes128GCMID: 16
        case Self.aes256GCMID, Self.chaCha20Poly1305ID: 32
        default: 0
        }
    }

    /// Nn, the AEAD nonce length in bytes (12 for all three AEADs).
    var aeadNonceByteCount: Int { 12 }

    /// Nt, the AEAD tag length in bytes (16 for all three AEADs).
    var aeadTagByteCount: Int { 16 }

    /// RFC 9458 §4.4: the response nonce is max(Nn, Nk) bytes.
    var responseNonceByteCount: Int { max(aeadNonceByteCount, aeadKeyByteCount) }
}
