import Crypto
import Foundation

/// RFC 6962 §2.1 / RFC 9162 §2.1.1 hashing with SHA-256: leaves and interior nodes are domain
/// separated by a one-byte prefix so that a node can never pass for a leaf.
public enum MerkleHash {
    /// Bytes of one hash.
    public static let byteCount = 32

    /// `SHA-256(0x00 || entry)`.
    public static func leaf(_ entry: some DataProtocol) -> Data {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: entry)
        return Data(hasher.finalize())
    }

    /// `SHA-256(0x01 || left || right)`.
    public static func node(_ left: Data, _ right: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Data(hasher.finalize())
    }

    /// The root of the empty tree: `SHA-256()` (RFC 9162 §2.1.1).
    public static let emptyRoot = Data(SHA256.hash(data: Data()))

    /// The largest power of two strictly smaller than `n` (n ≥ 2): RFC 9162's `k`.
    package static func split(_ n: Int) -> Int {
        precondition(n >= 2)
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
