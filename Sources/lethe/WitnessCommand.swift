import ArgumentParser
import Foundation
import LetheLedger
import LetheServer
import LetheTransparency
import Logging

/// `lethe witness`: a C2SP tlog-witness that cosigns the checkpoints of the logs it is given.
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness", abstract: "Run a C2SP tlog-witness for Lethe ledgers, or make its key.", subcommands: [Key.self, Serve.self])

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the cosigner vkey of a witness key file (creating it, mode 0600, with --generate).")

        @Option(help: "The witness's private key file (PRIVATE+KEY+name+id+base64(0x04||seed)).")
        var keyFile: String
        @Option(help: "With --generate: the witness's name, a schema-less URL such as witness.example/w1.")
        var name: String?
        @Flag(help: "Create the key file when it does not exist.")
        var generate = false

        func run() async throws {
            if !FileManager.default.fileExists(atPath: keyFile) {
                guard generate, let name else { throw ValidationError("no witness key at \(keyFile) (pass --generate --name NAME)") }
                let signer = try CosignerSigner.generate(name: name)
                let descriptor = open(keyFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else { throw ValidationError("cannot create \(keyFile)") }
                _ = Data((signer.privateKeyString + "\n").utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                fsync(descriptor)
                close(descriptor)
                FileHandle.standardError.write(Data("wrote \(keyFile) (private, mode 0600)\n".utf8))
            }
            print(try WitnessCommand.signer(keyFile).verifier.verifierKey)
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve POST /add-checkpoint (C2SP tlog-witness) until SIGTERM/SIGINT.",
            discussion: "Keeps, per log, the latest checkpoint it cosigned in --state-dir (written durably before it answers); refuses a checkpoint not proven consistent with it.")

        @Option(help: "The witness's private key file (from 'lethe witness key --generate').")
        var keyFile: String
        @Option(help: "Directory of the witness's state (created, mode 0700). Losing it means retiring the witness key.")
        var stateDir: String
        @Option(help: "The C2SP verifier key of a log to witness (a worker's 'lethe keys ledger'); repeat for several.")
        var log: [String] = []
        @Option(help: "Address to listen on.")
        var host = "127.0.0.1"
        @Option(help: "Port to listen on (0 = a free port, printed at start).")
        var port = 7380

        func run() async throws {
            guard !log.isEmpty else { throw ValidationError("give at least one --log key") }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
            let logs = try log.map { key in
                do { return try NoteVerifier(verifierKey: key) } catch { throw ValidationError("--log: \(error)") }
            }
            let signer = try WitnessCommand.signer(keyFile)
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            let logger = Logger(label: "lethe-witness")
            let witness = try Witness(signer: signer, logs: logs, stateDirectory: URL(fileURLWithPath: stateDir))
            let host = host
            try await WitnessServer(witness: witness, host: host, port: port, logger: logger).runUntilSignalled { bound in
                FileHandle.standardOutput.write(Data("lethe witness listening on http://\(host):\(bound) as \(signer.verifier.verifierKey)\n".utf8))
            }
        }
    }

    static func signer(_ path: String) throws -> CosignerSigner {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
        do { return try CosignerSigner(privateKeyString: text) } catch { throw ValidationError("\(path): \(error)") }
    }
}
