import ArgumentParser
import Foundation
import LetheEnvelope
import LetheLedger

/// `lethe keys`: OHTTP key management.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the worker's OHTTP (HPKE) keys and its ledger signing key.", subcommands: [Generate.self, Ledger.self])

    struct Ledger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the C2SP verifier key of a ledger's signing key (creating the key with --generate).")

        @Option(help: "Ledger directory holding ledger-signing.key.")
        var ledgerDir: String?
        @Option(help: "Signing key file instead of LEDGER_DIR/ledger-signing.key.")
        var keyFile: String?
        @Option(help: "With --generate: the origin (log name) of the new key.")
        var origin: String?
        @Flag(help: "Create the key file (mode 0600) when it does not exist.")
        var generate = false

        func run() async throws {
            guard let path = keyFile ?? ledgerDir.map({ URL(fileURLWithPath: $0).appendingPathComponent(LedgerLayout.signingKeyFileName).path }) else {
                throw ValidationError("give --ledger-dir or --key-file")
            }
            if !FileManager.default.fileExists(atPath: path) {
                guard generate else { throw ValidationError("no ledger key at \(path) (start the worker once, or pass --generate)") }
                let signer = try NoteSigner.generate(name: origin ?? "lethe.local/\(UUID().uuidString.prefix(8).lowercased())")
                let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else { throw ValidationError("cannot create \(path)") }
                _ = Data((signer.privateKeyString + "\n").utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                fsync(descriptor)
                close(descriptor)
                FileHandle.standardError.write(Data("wrote \(path) (private, mode 0600)\n".utf8))
            }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            do {
                print(try NoteSigner(privateKeyString: text).verifier.verifierKey)
            } catch {
                throw ValidationError("\(path): \(error)")
            }
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new private key file (mode 0600) with an X25519 and an X-Wing key; print the public key configs.")

        @Option(help: "Key file to create; it must not exist yet.")
        var out: String
        @Option(help: "Key id of the X25519 key; the X-Wing key gets the next id.")
        var keyID: UInt8 = 1

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: out) else {
                throw ValidationError("\(out) exists; refusing to overwrite a private key")
            }
            guard keyID < 255 else { throw ValidationError("key id must be below 255") }
            let keys = [try OHTTPPrivateKey.generate(keyID: keyID, kem: .x25519), try OHTTPPrivateKey.generate(keyID: keyID + 1, kem: .xWing)]
            try OHTTPKeyFile.write(keys, to: out)
            print("wrote \(out) (private, mode 0600)")
            for key in keys {
                print("key id \(key.keyID) \(key.kem.rawValue): \(key.config.encoded().map { String(format: "%02x", $0) }.joined())")
            }
            print("application/ohttp-keys (base64): \(OHTTPKeyConfig.encodeList(keys.map(\.config)).base64EncodedString())")
        }
    }
}
