import Foundation
import LetheLedger
import LetheMemory
import LetheTransparency

/// A witness the worker submits its checkpoints to: its cosigner vkey and its submission prefix,
/// configured as `<name>+<hex key id>+<base64(0x04 || key)>=<URL prefix>` (`--witness`).
public struct WitnessEndpoint: Sendable, Equatable {
    /// The witness's cosigner key (its cosignatures are checked before they are published).
    public let verifier: CosignerVerifier
    /// The submission prefix: requests go to `<prefix>/add-checkpoint`.
    public let submissionPrefix: URL

    public init(verifier: CosignerVerifier, submissionPrefix: URL) {
        self.verifier = verifier
        self.submissionPrefix = submissionPrefix
    }

    /// Parses `VKEY=URL` (the vkey's base64 may end in '=', so the split is at the first "=http").
    /// - Throws: `witness_key_invalid` for a bad key or URL.
    public init(configuration text: String) throws {
        guard let split = text.range(of: "=http"),
            let url = URL(string: String(text[text.index(after: split.lowerBound)...])), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw LetheError(.witnessKeyInvalid, "a witness is '<name>+<keyid>+<base64 key>=<http(s) URL prefix>'")
        }
        self.init(verifier: try CosignerVerifier(verifierKey: String(text[..<split.lowerBound])), submissionPrefix: url)
    }

    /// The TCP port the worker connects to (for its Landlock rules).
    public var port: Int { submissionPrefix.port ?? (submissionPrefix.scheme == "https" ? 443 : 80) }

    /// `<prefix>/add-checkpoint`.
    var addCheckpointURL: URL {
        var text = submissionPrefix.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/add-checkpoint")!
    }
}

/// Shown as its two strings (`lethe config check --show-resolved` dumps the configuration; a
/// `URL` would dump its storage's address).
extension WitnessEndpoint: CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: ["verifier": verifier.verifierKey, "submissionPrefix": submissionPrefix.absoluteString])
    }
}
