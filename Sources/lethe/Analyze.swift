import ArgumentParser
import Foundation
import LetheAPI
import LetheClient
import LetheLedger
import LetheServer
import LetheTransparency
import Logging

/// `lethe analyze PHOTO`: the device side, against a running worker or an embedded one.
struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a photo, encrypted, to a worker and print the measures.",
        discussion: "Without --server an embedded worker starts on a free loopback port, analyses the photo end to end, and shows the deletion record it wrote.")

    @Argument(help: "Photo file (JPEG, PNG, WebP, HEIF).")
    var photo: String
    @Option(help: "Worker URL, e.g. http://127.0.0.1:8080. Default: an embedded worker.")
    var server: String?
    @Option(help: "Device bearer token (required with --server).")
    var token: String?
    @Option(help: "Analysis kind: skin (close-up), face or scalp.")
    var kind: String = "skin"
    @Option(help: "Device profile name (from the worker's profiles directory); gives the scale and light.")
    var profile: String?
    @Option(help: "Millimetres per pixel at the imaged surface (scalp needs this or --profile).")
    var mmPerPixel: Double?
    @Option(name: .customLong("with"), help: "Another photo of the same capture (repeatable): all photos go as one multipart session, results per photo and combined.")
    var withPhotos: [String] = []
    @Flag(help: "Encrypt to the worker's X-Wing (post-quantum) key instead of X25519.")
    var postQuantum = false
    @Flag(help: "Print the worker's JSON result instead of a table.")
    var json = false
    @Flag(help: "kind=face: add the 468 face-mesh points to the result (see them with --json).")
    var landmarks = false
    @Option(help: "Render these concerns (comma-separated): spots, redness, pores, wrinkles, evenness (skin, face); hair, flakes (scalp). Masks, an overlay and, for skin and face, the after-care preview.")
    var simulate: String?
    @Option(help: "Preview strength 0–1: a number for every concern, or CONCERN=NUMBER for one (repeatable), e.g. --strength 0.6 --strength redness=0.9.")
    var strength: [String] = []
    @Option(help: "Longest side of the rendered images in pixels (worker default 1024).")
    var maxOutputDimension: Int?
    @Option(help: "Format of the preview and the overlay: jpeg, png or webp (masks are always PNG).")
    var outputFormat: String?
    @Option(help: "Quality 1–100 of JPEG and WebP renderings (worker default 85).")
    var outputQuality: Int?
    @Option(help: "Write the rendered images into this directory (created if missing): preview, overlay, mask-CONCERN.png.")
    var out: String?
    @Option(help: "The worker's ledger verifier key (name+keyid+base64), pinned: the receipt and every checkpoint are checked with it. With --server and no key the receipt is not checked (never trust on first use).")
    var ledgerKey: String?
    @Option(help: "With --server: file keeping the newest verified checkpoint of each log (created if missing); every other checkpoint must be proven consistent with it, or the proof fails with checkpoint_inconsistent.")
    var checkpointState: String?
    @Option(help: "With --server: a witness's cosigner vkey (name+keyid+base64, from 'lethe witness key'); repeat for several. The checkpoint proving the receipt must carry --witness-quorum of their cosignatures, or the proof fails with witness_quorum_missing.")
    var witnessKey: [String] = []
    @Option(help: "With --witness-key: how many of those witnesses must have cosigned. Default all of them.")
    var witnessQuorum: Int?
    @Option(help: "With --server: seconds each exchange with the worker may take before it fails with worker_timeout (1–3600).")
    var timeoutSeconds: Int = 60
    @OptionGroup(title: "Embedded worker (without --server)") var options: ServerOptions

    /// Exit statuses besides 0 (done) and ArgumentParser's 64 (usage): what a script can act on.
    enum Exit {
        /// The worker refused the request with one of its codes (HTTP status in the message).
        static let refused: Int32 = 2
        /// The worker was not reached or its answer did not arrive whole: nothing was decided.
        static let unreachable: Int32 = 3
        /// The answer, its receipt or a key did not verify on this side.
        static let unverified: Int32 = 4

        static func status(of error: LetheClientError) -> Int32 {
            error.status != 0 ? refused : error.isTransport ? unreachable : unverified
        }
    }

    func run() async throws {
        guard let photoBytes = FileManager.default.contents(atPath: photo) else {
            throw ValidationError("cannot read \(photo)")
        }
        var sessionPhotos: [(name: String, photo: Data)] = []
        if !withPhotos.isEmpty {
            for path in [photo] + withPhotos {
                guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
                sessionPhotos.append((name, bytes))
            }
        }
        let outcome: Result<AnalysisResponse, LetheClientError>
        let deletion: String
        if let server {
            guard let token, let url = URL(string: server), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("--server needs an http or https URL and --token")
            }
            guard (1...3600).contains(timeoutSeconds) else { throw ValidationError("--timeout-seconds must be 1–3600, got \(timeoutSeconds)") }
            let pinned = try ledgerKey.map { key in
                do { return try NoteVerifier(verifierKey: key) } catch { throw ValidationError("--ledger-key: \(error)") }
            }
            var client = LetheClient(serverURL: url, token: token)
            client.timeoutSeconds = TimeInterval(timeoutSeconds)
            client.checkpointState = checkpointState.map { CheckpointState(file: URL(fileURLWithPath: $0)) }
            if !witnessKey.isEmpty {
                do { client.witnessPolicy = try WitnessPolicy(verifierKeys: witnessKey, quorum: witnessQuorum) } catch { throw ValidationError("--witness-key: \(error)") }
            }
            client.analysisParameters = analysisParameters
            client.simulation = try simulation
            (outcome, deletion) = await Self.analyze(photoBytes, client: client, kind: kind, postQuantum: postQuantum, ledgerKey: pinned, session: sessionPhotos)
            try report(outcome, deletion: deletion, ledgerDirectory: nil)
        } else {
            let environment = try options.environment()
            var configuration = try options.resolved(environment: environment)
            // The embedded worker takes free ports unless told otherwise.
            if options.port == nil, environment["LETHE_PORT"] == nil { configuration.port = 0 }
            // Interactive: publish the one record at once so that its proof is at hand (a batch of
            // one hides nothing, and needs not to: nobody else's request is in it).
            if options.checkpointEntries == nil, environment["LETHE_CHECKPOINT_ENTRIES"] == nil {
                configuration.ledger.checkpointEveryEntries = 1
            }
            if options.adminPort == nil, environment["LETHE_ADMIN_PORT"] == nil { configuration.adminPort = 0 }
            var logger = Logger(label: "lethe")
            logger.logLevel = .warning
            LetheWorker.configureProcess(for: configuration)
            let worker = try await LetheWorker(configuration: configuration, logger: logger)
            guard let deviceToken = token ?? worker.demoToken else {
                throw ValidationError("--tokens-file given: pass --token for one of its devices")
            }
            let (host, kind, postQuantum, parameters, sessionPhotos) = (configuration.host, kind, postQuantum, analysisParameters, sessionPhotos)
            let simulation = try simulation
            // The embedded worker's key comes from the same process: no need to trust a fetch.
            let workerKey = try NoteVerifier(verifierKey: worker.ledgerVerifierKey)
            // Its witnesses (--witness), all of them required: the proof line names those that cosigned.
            let policy = try configuration.witnesses.isEmpty ? nil : WitnessPolicy(witnesses: configuration.witnesses.map(\.verifier), quorum: configuration.witnesses.count)
            (outcome, deletion) = try await worker.withRunningServer { ports in
                var client = LetheClient(serverURL: URL(string: "http://\(host):\(ports.gateway)")!, token: deviceToken)
                client.witnessPolicy = policy
                client.analysisParameters = parameters
                client.simulation = simulation
                return await Self.analyze(photoBytes, client: client, kind: kind, postQuantum: postQuantum, ledgerKey: workerKey, session: sessionPhotos)
            }
            try report(outcome, deletion: deletion, ledgerDirectory: configuration.ledgerDirectory)
        }
    }

    /// The simulation options from `--simulate`, `--strength` and the output flags.
    private var simulation: SimulationOptions? {
        get throws {
            guard let simulate else {
                guard strength.isEmpty, out == nil, maxOutputDimension == nil, outputFormat == nil, outputQuality == nil else {
                    throw ValidationError("--strength, --out and the output flags need --simulate")
                }
                return nil
            }
            var options = SimulationOptions(
                concerns: simulate.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                maxDimension: maxOutputDimension, format: outputFormat, quality: outputQuality)
            for text in strength {
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard let value = Double(parts.last ?? "") else { throw ValidationError("--strength takes NUMBER or CONCERN=NUMBER, got '\(text)'") }
                if parts.count == 2 { options.strengths[parts[0]] = value } else { options.strength = value }
            }
            return options
        }
    }

    /// Writes the rendered images of `response` into `--out` and lists them.
    private func writeRenderings(_ response: AnalysisResponse) throws {
        guard let out else { return }
        let directory = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [(String, SimulationImage)] = []
        func suffix(_ image: SimulationImage) -> String { image.mediaType == "image/jpeg" ? "jpg" : String(image.mediaType.dropFirst("image/".count)) }
        if let preview = response.preview { files.append(("preview.\(suffix(preview))", preview)) }
        if let overlay = response.overlay { files.append(("overlay.\(suffix(overlay))", overlay)) }
        for (concern, mask) in (response.masks ?? [:]).sorted(by: { $0.key < $1.key }) {
            files.append(("mask-\(concern).png", mask.image))
        }
        for (name, image) in files {
            let file = directory.appendingPathComponent(name)
            try image.data.write(to: file)
            if !json { print("Wrote \(file.path) (\(image.width)×\(image.height), \(image.data.count) bytes)") }
        }
        if let legend = response.simulation?.legend, !legend.isEmpty, !json {
            print("Legend: " + legend.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }

    /// `profile`, `mm_per_pixel` and `landmarks` query parameters from the options.
    private var analysisParameters: [String: String] {
        var parameters: [String: String] = [:]
        if let profile { parameters["profile"] = profile }
        if let mmPerPixel { parameters["mm_per_pixel"] = "\(mmPerPixel)" }
        if landmarks { parameters["landmarks"] = "true" }
        return parameters
    }

    /// Analyses, then checks the receipt's signature and its inclusion in a signed checkpoint.
    /// - Returns: the outcome and the line describing the proven (or unproven) deletion.
    private static func analyze(
        _ photo: Data, client: LetheClient, kind: String, postQuantum: Bool, ledgerKey: NoteVerifier?,
        session: [(name: String, photo: Data)] = []
    ) async -> (Result<AnalysisResponse, LetheClientError>, String) {
        if !session.isEmpty {
            // Sessions have no receipt API yet: the worker still records the deletion in its ledger.
            do {
                return (.success(try await client.analyzeSession(photos: session, kind: kind, postQuantum: postQuantum)), "")
            } catch {
                return (.failure(error), "")
            }
        }
        let outcome: Result<AnalysisResponse, LetheClientError>
        var receipt: DeletionReceipt?
        guard let key = ledgerKey else {
            // A key fetched from the worker would prove only that the worker agrees with itself.
            do {
                return (.success(try await client.analyze(photo: photo, kind: kind, postQuantum: postQuantum)), "Receipt not checked: pin the worker's ledger key with --ledger-key")
            } catch {
                return (.failure(error), "")
            }
        }
        do {
            let (response, signed) = try await client.analyzeWithReceipt(photo: photo, kind: kind, postQuantum: postQuantum, ledgerKey: key)
            outcome = .success(response)
            receipt = signed
            guard let receipt else { return (outcome, "") }
            do {
                let proven = try await client.proveInclusion(of: receipt, verifier: key)
                return (outcome, "Deleted at \(receipt.wipedAt), record #\(receipt.record.sequence) of \(receipt.origin), \(receipt.bytesWiped) bytes, wipe verified \(receipt.wipeVerified ? "yes" : "NO"), proof ok (log entry #\(proven.index), checkpoint \(proven.checkpoint.size)\(Self.witnessed(proven, policy: client.witnessPolicy)))")
            } catch {
                return (outcome, "Deleted at \(receipt.wipedAt), record #\(receipt.record.sequence) of \(receipt.origin): receipt signature ok, inclusion proof FAILED: \(error)")
            }
        } catch {
            outcome = .failure(error)
            if let refused = error.receipt {
                return (outcome, "Deleted at \(refused.wipedAt), record #\(refused.record.sequence) of \(refused.origin): receipt signature ok")
            }
            return (outcome, "")
        }
    }

    /// ", cosigned by w1, w2 (2 of 3 required)", or nothing without a witness policy.
    static func witnessed(_ proven: ProvenDeletion, policy: WitnessPolicy?) -> String {
        guard let policy else { return "" }
        return ", cosigned by \(proven.cosigners.joined(separator: ", ")) (\(policy.quorum) of \(policy.witnesses.count) required)"
    }

    private func report(_ outcome: Result<AnalysisResponse, LetheClientError>, deletion: String, ledgerDirectory: String?) throws {
        let requestID: String?
        switch outcome {
        case .success(let response):
            requestID = response.requestID
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(response), as: UTF8.self))
            } else {
                print(ResultTable(response).text)
            }
            try writeRenderings(response)
        case .failure(let error):
            requestID = error.requestID
            // One line a person can act on: the code, what happened, what to check.
            FileHandle.standardError.write(Data("error: \(error.line)\n".utf8))
        }
        if let ledgerDirectory, !json {
            let entries = (try? DeletionLedger.readEntries(in: URL(fileURLWithPath: ledgerDirectory))) ?? []
            if let entry = entries.last(where: { $0.requestID == requestID }) ?? (requestID == nil ? entries.last : nil) {
                // The receipt line below says what was deleted and proves it; this adds what only
                // the local ledger shows: how many buffers and how long plaintext lived.
                print("""
                    Plaintext: \(entry.buffersWiped) buffers held for \(entry.plaintextLifetimeMicroseconds / 1000) ms; \
                    ledger record #\(entry.sequence) in \(ledgerDirectory)/segments
                    """)
            }
        }
        if !deletion.isEmpty, !json { print(deletion) }
        if case .failure(let error) = outcome { throw ExitCode(Exit.status(of: error)) }
    }
}
