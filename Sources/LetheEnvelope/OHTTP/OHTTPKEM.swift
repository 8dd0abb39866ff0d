import Crypto

/// The HPKE key encapsulation mechanisms Lethe offers for Oblivious HTTP.
public enum OHTTPKEM: String, Sendable, Codable, CaseIterable {
    /// DHKEM(X25519, HKDF-SHA256), KEM id 0x0020 (RFC 9180 §7.1).
    case x25519 = "x25519"
    /// X-Wing (ML-KEM-768 + X25519), KEM id 0x647a (draft-connolly-cfrg-xwing-kem).
    case xWing = "x-wing"

    /// The HPKE KEM identifier carried in key configs and request headers.
    public var kemID: UInt16 {
        switch self {
        case .x25519: 0x0020
        case .xWing: 0x647a
        }
    }

    /// The KEM with this identifier, or nil when Lethe does not implement it.
    public init?(kemID: UInt16) {
        switch kemID {
        case 0x0020: self = .x25519
        case 0x647a: self = .xWing
        default: return nil
        }
    }

    /// Npk: encoded public key length (RFC 9180 §7.1; X-Wing draft §5).
    public var publicKeyByteCount: Int {
        switch self {
        case .x25519: 32
        case .xWing: 1216
        }
    }

    /// Nenc: encapsulated key length.
    public var encapsulatedKeyByteCount: Int {
        switch self {
        case .x25519: 32
        case .xWing: 1120
        }
    }

    /// Length of the raw private key Lethe stores: the X25519 scalar or the X-Wing seed.
    public var privateKeyByteCount: Int { 32 }

    var hpkeKEM: HPKE.KEM {
        switch self {
        case .x25519: .Curve25519_HKDF_SHA256
        case .xWing: .XWingMLKEM768X25519
        }
    }
}
