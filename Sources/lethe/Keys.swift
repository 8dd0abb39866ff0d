import ArgumentParser
import Foundation
import LetheEnvelope
import LetheLedger
import LetheTransparency

/// `lethe keys`: OHTTP key management.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the worker's OHTTP (HPKE) keys and its ledger signing key.", subcommands: [Generate.self, Rotate.self, Show.self, Ledger.self])

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

    /// Reads a key file or a directory holding exactly one key file.
    static func keyFilePath(_ given: String?) throws -> String {
        guard let path = given ?? ProcessInfo.processInfo.environment["LETHE_KEY_FILE"] else {
            throw ValidationError("give --key-file (or LETHE_KEY_FILE)")
        }
        let files = try OHTTPKeySource(path: path).keyFiles()
        guard files.count == 1 else {
            throw ValidationError("\(path) holds \(files.count) key files; name the one to rotate")
        }
        return files[0]
    }

    /// A seconds option with its `LETHE_*` fallback.
    static func seconds(_ given: Double?, environment name: String, default fallback: Double) throws -> Double {
        if let given { return given }
        guard let text = ProcessInfo.processInfo.environment[name] else { return fallback }
        guard let value = Double(text), value >= 0 else { throw ValidationError("\(name) must be a number of seconds ≥ 0, got '\(text)'") }
        return value
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new key per KEM to a key file; the keys it replaces stay accepted for a grace period, then are dropped.",
            discussion: """
                The new keys are accepted as soon as a worker loads the file and published from --publish-delay on, so                 that every replica has them before any replica hands them out; the old keys are published until then and                 accepted for --grace-period more. Keys whose grace period is over leave the file. Workers pick the file up                 within --key-reload-interval, or at once on SIGHUP. The file is replaced atomically (mode 0600).
                """)

        @Option(help: "Key file, or a directory holding one (LETHE_KEY_FILE).")
        var keyFile: String?
        @Option(help: "Seconds until the new keys are published; at least the workers' --key-reload-interval, and the Secret propagation time on Kubernetes (LETHE_KEY_PUBLISH_DELAY). Default 120.")
        var publishDelay: Double?
        @Option(help: "Seconds the replaced keys stay accepted after the new ones are published; more than the key configs' cache lifetime of 3600 s (LETHE_KEY_GRACE_PERIOD). Default 7200.")
        var gracePeriod: Double?

        func run() async throws {
            let path = try Keys.keyFilePath(keyFile)
            let delay = try Keys.seconds(publishDelay, environment: "LETHE_KEY_PUBLISH_DELAY", default: 120)
            let grace = try Keys.seconds(gracePeriod, environment: "LETHE_KEY_GRACE_PERIOD", default: 7200)
            let now = Date()
            let before = try OHTTPKeyFile.readScheduled(from: path)
            let after = try OHTTPKeyRotation.rotate(before, now: now, publishDelay: delay, gracePeriod: grace)
            try OHTTPKeyFile.write(scheduled: after, to: path)
            let dropped = Set(before.map(\.key.keyID)).subtracting(after.map(\.key.keyID)).sorted()
            print("rotated \(path)" + (dropped.isEmpty ? "" : "; dropped expired key ids \(dropped.map(String.init).joined(separator: ", "))"))
            Show.printKeys(after, at: now)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the keys of a key file or directory with their schedule and state (never the private keys).")

        @Option(help: "Key file or directory (LETHE_KEY_FILE).")
        var keyFile: String?

        func run() async throws {
            guard let path = keyFile ?? ProcessInfo.processInfo.environment["LETHE_KEY_FILE"] else {
                throw ValidationError("give --key-file (or LETHE_KEY_FILE)")
            }
            Self.printKeys(try OHTTPKeySource(path: path).load(), at: Date())
        }

        /// One line per key: id, KEM, state now, schedule.
        static func printKeys(_ keys: [OHTTPScheduledKey], at now: Date) {
            for key in keys {
                var line = "key id \(key.key.keyID) \(key.key.kem.rawValue): \(OHTTPKeyRotation.state(of: key, in: keys, at: now))"
                if let notBefore = key.notBefore { line += ", published from \(OHTTPKeyFile.timestamp(notBefore))" }
                if let acceptUntil = key.acceptUntil { line += ", accepted until \(OHTTPKeyFile.timestamp(acceptUntil))" }
                print(line)
            }
        }
    }
}
