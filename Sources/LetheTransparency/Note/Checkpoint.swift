import Foundation
import LetheMemory

/// A C2SP tlog-checkpoint body (https://c2sp.org/tlog-checkpoint):
/// `<origin>\n<decimal tree size>\n<base64 root hash>\n`, signed as a C2SP signed note.
public struct Checkpoint: Sendable, Equatable {
    /// The log's origin, unique per replica (e.g. `lethe.local/worker-3`).
    public let origin: String
    /// Number of entries covered.
    public let size: Int
    /// RFC 9162 root of the first `size` entries.
    public let rootHash: Data

    public init(origin: String, size: Int, rootHash: Data) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
    }

    /// The note text.
    public var body: String { "\(origin)\n\(size)\n\(rootHash.base64EncodedString())\n" }

    /// Parses a checkpoint body (extension lines after the third are allowed and ignored).
    public init(body: String) throws {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, let size = Int(lines[1]), size >= 0, String(size) == lines[1],
            let root = Data(base64Encoded: String(lines[2])), root.count == MerkleHash.byteCount, !lines[0].isEmpty
        else {
            throw LetheError(.checkpointMalformed, "not a tlog-checkpoint body (origin, size, base64 root)")
        }
        self.init(origin: String(lines[0]), size: size, rootHash: root)
    }

    /// Signs this checkpoint.
    public func signed(by signer: NoteSigner) throws -> String {
        try SignedNote.sign(body, with: signer).encoded
    }

    /// Opens a signed checkpoint note, checking the signature of `verifier` and that the origin is
    /// the verifier's name.
    public static func open(_ note: String, verifier: NoteVerifier) throws -> Checkpoint {
        let checkpoint = try Checkpoint(body: try SignedNote.open(note, verifier: verifier))
        guard checkpoint.origin == verifier.name else {
            throw LetheError(.checkpointOriginMismatch, "origin '\(checkpoint.origin)' is not the key's name '\(verifier.name)'")
        }
        return checkpoint
    }
}
