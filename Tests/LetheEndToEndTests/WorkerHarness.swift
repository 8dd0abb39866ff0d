import Foundation
import LetheClient
import LetheEnvelope
import LetheImaging
import LetheLedger
import LetheMemory
import LetheServer
import LetheTestSupport
import LetheTransparency
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs a real worker on a free loopback port with its own ledger directory (under /tmp), for one test.
struct WorkerHarness: Sendable {
    let ledgerDirectory: URL
    let configuration: ServerConfiguration

    /// - Parameter configure: last changes to the configuration (ledger clock, thresholds).
    init(
        maxBytes: Int? = nil, adminToken: String? = nil, maxConcurrent: Int? = nil, maxQueued: Int? = nil,
        queueTimeoutSeconds: Double? = nil, deviceRequestsPerMinute: Int = 0, deviceBurst: Int? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) {
        ledgerDirectory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-e2e-\(UUID().uuidString)")
        var configuration = Self.testConfiguration(ledgerDirectory: ledgerDirectory)
        configuration.adminToken = adminToken
        if let maxConcurrent { configuration.maxConcurrentRequests = maxConcurrent }
        if let maxQueued { configuration.maxQueuedRequests = maxQueued }
        if let queueTimeoutSeconds { configuration.queueTimeoutSeconds = queueTimeoutSeconds }
        configuration.deviceRequestsPerMinute = deviceRequestsPerMinute
        configuration.deviceBurst = deviceBurst
        if let maxBytes { configuration.decodeLimits.maxBytes = maxBytes }
        // Short publication periods: a test sees its period's summary (and refusal counts) soon.
        configuration.ledger.checkpointIntervalSeconds = 0.25
        configure(&configuration)
        self.configuration = configuration
    }

    /// An in-process worker's configuration for a test: free loopback ports, its own ledger, one
    /// engine started from the built `lethe`, the package's models and profiles.
    static func testConfiguration(ledgerDirectory: URL) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        // Several workers share the test process: no per-process memory ceiling.
        configuration.memoryBudgetMiB = nil
        // Engines are started from the built `lethe` (this process is the test binary); one each.
        configuration.engineExecutable = ServerProcess.executable.path
        configuration.engineProcesses = 1
        configuration.port = 0
        configuration.adminPort = 0
        configuration.ledgerDirectory = ledgerDirectory.path
        // The package's own models and profiles, wherever the tests run from.
        configuration.modelsDirectory = Repository.root.appendingPathComponent("Config/models").path
        configuration.profilesDirectory = Repository.root.appendingPathComponent("Config/profiles").path
        return configuration
    }

    /// Starts the worker, runs `body` against it over real HTTP, stops it, removes the ledger.
    func run<Result: Sendable>(_ body: @escaping @Sendable (Session) async throws -> Result) async throws -> Result {
        defer { try? FileManager.default.removeItem(at: ledgerDirectory) }
        var logger = Logger(label: "lethe-test")
        logger.logLevel = .warning
        let configuration = configuration
        let ledgerDirectory = ledgerDirectory
        // The worker (and the test's own client calls) on threads no other test can block.
        return try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            let worker = try await LetheWorker(configuration: configuration, logger: logger)
            let token = worker.demoToken!
            return try await worker.withRunningServer { ports in
                try await body(Session(
                    baseURL: URL(string: "http://127.0.0.1:\(ports.gateway)")!, adminURL: URL(string: "http://127.0.0.1:\(ports.admin)")!,
                    token: token, ledgerDirectory: ledgerDirectory, worker: worker))
            }
        }
    }

    /// Builds the worker without starting it and runs `body` with it, for tests that drive its
    /// routers directly (`app.test(.router)`), where a socket adds nothing.
    func withWorker<Result: Sendable>(_ body: @escaping @Sendable (LetheWorker) async throws -> Result) async throws -> Result {
        defer { try? FileManager.default.removeItem(at: ledgerDirectory) }
        var logger = Logger(label: "lethe-test")
        logger.logLevel = .warning
        let configuration = configuration
        return try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            try await body(try await LetheWorker(configuration: configuration, logger: logger))
        }
    }

    /// A running worker as a test sees it.
    struct Session: Sendable {
        let baseURL: URL
        /// The operator listener.
        let adminURL: URL
        let token: String
        let ledgerDirectory: URL
        /// The worker itself, for a test that must hold one of its resources (the decode budget)
        /// to make an overlap certain instead of hoping for one.
        let worker: LetheWorker

        var client: LetheClient { LetheClient(serverURL: baseURL, token: token) }

        /// The private deletion records (one per request that held plaintext).
        func ledgerEntries() throws -> [DeletionRecord] {
            try DeletionLedger.readEntries(in: ledgerDirectory)
        }

        /// Requests refused before any plaintext existed, by code, over the published period
        /// summaries, once they reach `expected` (polls; returns what is there after 60 s).
        func publishedRefusals(reaching expected: [String: Int]) async throws -> [String: Int] {
            let deadline = ContinuousClock.now + .seconds(60)
            while true {
                var counts: [String: Int] = [:]
                for case .summary(let summary) in (try? DeletionLedger.readLog(in: ledgerDirectory)) ?? [] {
                    counts.merge(summary.refused, uniquingKeysWith: +)
                }
                if expected.allSatisfy({ counts[$0.key, default: 0] >= $0.value }) || ContinuousClock.now > deadline { return counts }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        /// The operator listener's `/metrics` text.
        func metrics() async throws -> String {
            let (body, _) = try await URLSession.shared.data(from: adminURL.appendingPathComponent("metrics"))
            return String(decoding: body, as: UTF8.self)
        }

        /// The value of an unlabelled metric, e.g. `lethe_replays_refused_total`.
        func metric(_ name: String) async throws -> Double? {
            PrometheusText(try await metrics()).value(name)
        }

        /// Posts raw bytes to the gateway and returns the outer status and body.
        func postEnvelope(_ body: Data, contentType: String = "message/ohttp-req") async throws -> (status: Int, body: Data) {
            var request = URLRequest(url: baseURL.appendingPathComponent(".well-known/ohttp-gateway"))
            request.httpMethod = "POST"
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.httpBody = body
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }

        /// The worker's X25519 key configuration.
        func x25519Config() async throws -> OHTTPKeyConfig {
            try await client.fetchKeyConfigs().first { $0.kemID == OHTTPKEM.x25519.kemID }!
        }

        /// How an inner request authenticates.
        enum Authorization { case deviceToken, none, bearer(String) }

        /// A known-length BHTTP analysis request.
        func innerRequest(photo: Data, kind: String = "skin", authorization: Authorization = .deviceToken) -> Data {
            var fields = [
                BinaryHTTPField(name: "content-type", value: "application/octet-stream"),
                BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
            ]
            switch authorization {
            case .deviceToken: fields.append(BinaryHTTPField(name: "authorization", value: "Bearer \(token)"))
            case .bearer(let other): fields.append(BinaryHTTPField(name: "authorization", value: "Bearer \(other)"))
            case .none: break
            }
            return BinaryHTTPRequest.encode(
                method: "POST", scheme: "https", authority: "lethe.test", path: "/v1/analyses?kind=\(kind)",
                headerFields: fields, content: photo)
        }
    }
}

/// Test photos derived from the fixture portrait, made by the test itself.
enum TestPhotos {
    static let fixtureURL = Repository.root
        .appendingPathComponent("Fixtures/astronaut.png")

    static var portrait: Data { try! Data(contentsOf: fixtureURL) }

    /// The portrait re-encoded as a baseline JPEG.
    static var portraitJPEG: Data { portraitJPEG(quality: 90) }

    /// The portrait re-encoded as a baseline JPEG of `quality`.
    static func portraitJPEG(quality: Int) -> Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let photo = portrait
        let image = try! photo.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        return Data(try! image.pixels.withUnsafeBytes {
            try ImageEncoder.encode($0, width: image.width, height: image.height, as: .jpeg, quality: quality)
        })
    }

    /// The portrait in black and white (Rec. 601 luma in every channel), as a PNG.
    static var portraitGreyscale: Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try! portrait.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        image.pixels.withUnsafeMutableBytes { Greyscale.convert($0) }
        return Data(try! image.pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: image.width, height: image.height, as: .png, quality: 100) })
    }

    /// A 384×384 PNG with no face: a smooth skin-coloured gradient with fine texture.
    static var faceless: Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let size = 384
        let pixels = try! arena.allocate(count: size * size * 3, bufferClass: .pixels)
        pixels.withUnsafeMutableBytes { bytes in
            for y in 0..<size {
                for x in 0..<size {
                    let ripple = ((x * 7 + y * 13) % 9) - 4
                    let offset = (y * size + x) * 3
                    bytes[offset] = UInt8(190 + ripple - y / 40)
                    bytes[offset + 1] = UInt8(140 + ripple - x / 50)
                    bytes[offset + 2] = UInt8(115 + ripple)
                }
            }
        }
        return Data(try! pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: size, height: size, as: .png, quality: 100) })
    }

    /// A PNG whose header declares width × height but which carries no pixel data.
    static func pngDeclaring(width: UInt32, height: UInt32) -> Data {
        func bigEndian(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
        func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + payload
            return bigEndian(UInt32(payload.count)) + body + bigEndian(crc32(body))
        }
        let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        return Data(signature + chunk("IHDR", header) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", []))
    }

    /// CRC-32 as PNG uses it (ISO 3309, reflected polynomial 0xEDB88320).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
