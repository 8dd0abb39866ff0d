import ArgumentParser
import Foundation
import LetheEnvelope

/// `lethe keys`: OHTTP key management.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the worker's OHTTP (HPKE) keys.", subcommands: [Generate.self])

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
