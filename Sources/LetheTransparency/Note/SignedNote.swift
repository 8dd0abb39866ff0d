import Foundation
import LetheMemory

/// A C2SP signed note (https://c2sp.org/signed-note): UTF-8 text ending in a newline, a blank
/// line, then one line per signature: `— <key name> <base64(key id (4, big-endian) || signature)>`.
public struct SignedNote: Sendable, Equatable {
    /// One signature line.
    public struct Signature: Sendable, Equatable {
        public let name: String
        public let keyID: UInt32
        public let signature: Data

        /// The signature line, `— <name> <base64(key id || signature)>` and its newline.
        public var line: String {
            var blob = withUnsafeBytes(of: keyID.bigEndian) { Data($0) }
            blob.append(signature)
            return "\u{2014} \(name) \(blob.base64EncodedString())\n"
        }
    }

    /// The signed text, including its final newline.
    public let text: String
    /// Every signature line, in order.
    public let signatures: [Signature]

    /// The note's bytes: text, blank line, signature lines.
    public var encoded: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Signs `text` (which must end in a newline and hold no blank line) with `signer`.
    public static func sign(_ text: String, with signer: NoteSigner) throws -> SignedNote {
        guard text.hasSuffix("\n"), !text.contains("\n\n"), !text.hasPrefix("\n") else {
            throw LetheError(.noteMalformed, "note text must end in a newline and contain no blank line")
        }
        let signature = try signer.signature(for: Data(text.utf8))
        return SignedNote(text: text, signatures: [.init(name: signer.name, keyID: signer.verifier.keyID, signature: signature)])
    }

    /// Parses a note without checking signatures.
    public static func parse(_ note: String) throws -> SignedNote {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw LetheError(.noteMalformed, "no blank line separates the text from the signatures")
        }
        let text = String(note[..<split.lowerBound]) + "\n"
        let block = note[split.upperBound...]
        guard block.hasSuffix("\n"), !text.contains("\n\n") else {
            throw LetheError(.noteMalformed, "signature block must end in a newline")
        }
        var signatures: [Signature] = []
        for line in block.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}", let blob = Data(base64Encoded: String(fields[2])), blob.count > 4 else {
                throw LetheError(.noteMalformed, "malformed signature line '\(line.prefix(80))'")
            }
            let keyID = blob.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            signatures.append(Signature(name: String(fields[1]), keyID: keyID, signature: Data(blob.dropFirst(4))))
        }
        guard !signatures.isEmpty else { throw LetheError(.noteMalformed, "the note has no signature") }
        return SignedNote(text: text, signatures: signatures)
    }

    /// Parses `note` and checks it carries a valid signature by `verifier` (other signers' lines
    /// are ignored, as C2SP allows). - Returns: the text.
    /// - Throws: `note_unsigned` when no line is from `verifier`, `note_signature_invalid` when one is but fails.
    public static func open(_ note: String, verifier: NoteVerifier) throws -> String {
        let parsed = try parse(note)
        let mine = parsed.signatures.filter { $0.name == verifier.name && $0.keyID == verifier.keyID }
        guard !mine.isEmpty else {
            let names = parsed.signatures.map { "\($0.name)/\(String(format: "%08x", $0.keyID))" }.joined(separator: ", ")
            throw LetheError(.noteUnsigned, "not signed by \(verifier.name)/\(String(format: "%08x", verifier.keyID)) (signed by \(names))")
        }
        for signature in mine where !verifier.isValidSignature(signature.signature, for: Data(parsed.text.utf8)) {
            throw LetheError(.noteSignatureInvalid, "the Ed25519 signature of \(verifier.name) does not verify")
        }
        return parsed.text
    }
}
