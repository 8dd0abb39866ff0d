import Foundation
import LetheClient
import LetheEnvelope
import LetheImaging
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The process boundary of issue 14, seen from outside on the real worker: photos are decoded in
/// `lethe engine` children that hold no key and no descriptor but their channel, a child killed
/// mid-request costs only that request (`engine_failed`, recorded), and a drain lets engines finish.
@Suite("Engine processes")
struct EngineProcessTests {
    /// The worker's engine processes: its descendants.
    static func engines(of server: ServerProcess) throws -> [Int32] {
        try ProcessMemoryScan.processTree(of: server.pid).filter { $0 != server.pid }
    }

    /// Waits until the worker has `count` engines, and returns them.
    static func waitForEngines(_ count: Int, of server: ServerProcess) async throws -> [Int32] {
        let deadline = ContinuousClock.now + .seconds(60)
        var found = try engines(of: server)
        while found.count < count, .now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            found = try engines(of: server)
        }
        try #require(found.count == count, "expected \(count) engines, found \(found)")
        return found
    }

    /// Waits until `engine` holds a request's photos (a shared plaintext memory file is mapped; it
    /// is mapped only while the engine has a job), then does `act` to it at once.
    ///
    /// Watched from a Dispatch thread, not from Swift concurrency's shared pool: tests elsewhere in
    /// the process that compute for minutes can hold that pool long enough for the engine to finish
    /// before a wait there wakes up (CI saw "never received a job" for a request that answered ok).
    static func waitUntilBusy(_ engine: Int32, then act: @escaping @Sendable (Int32) -> Void = { _ in }) async throws {
        let caught = try await offThePool {
            let deadline = ContinuousClock.now + .seconds(60)
            while .now < deadline {
                // Read whole: `String(contentsOfFile:)` stops after the first 4 KiB of a /proc file,
                // before the mappings of a process with many libraries.
                let maps = (try? ProcFile.read("/proc/\(engine)/maps")) ?? ""
                if maps.contains("memfd:lethe-plaintext") || maps.contains("secretmem") {
                    act(engine)
                    return true
                }
                usleep(5_000)
            }
            return false
        }
        if !caught { Issue.record("engine \(engine) never received a job") }
    }

    /// A 12-megapixel JPEG: long enough in an engine to be caught there.
    static let largePhoto: Data = { (try? MemoryBudgetTests.skinTexture(width: 4000, height: 3000, format: .jpeg)) ?? Data() }()

    /// Sends the 12-megapixel photo to the worker's only engine and, the moment the engine has it,
    /// does `act` to the engine; returns the engine and the request's outcome to come.
    static func largeRequestInEngine(of server: ServerProcess, then act: @escaping @Sendable (Int32) -> Void) async throws -> (engine: Int32, answer: Task<String, Never>) {
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let engine = try #require(try await waitForEngines(1, of: server).first)
        // Made first: generating it takes seconds on a loaded machine, which is no engine's doing.
        let photo = largePhoto
        // On threads of its own: the shared pool may be busy with tests that compute for minutes,
        // and the request must reach the engine while the test watches for it.
        let answer = Task(executorPreference: DedicatedExecutor.shared) { await outcome(client, photo) }
        try await waitUntilBusy(engine, then: act)
        return (engine, answer)
    }

    static func outcome(_ client: LetheClient, _ photo: Data) async -> String {
        do {
            _ = try await client.analyze(photo: photo)
            return "ok"
        } catch {
            return error.code
        }
    }

    @Test("an engine SIGKILLed mid-request: that request answers engine_failed with a deletion record, the next one succeeds")
    func killedEngine() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "1"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let (engine, killed) = try await Self.largeRequestInEngine(of: server) { kill($0, SIGKILL) }
        #expect(await killed.value == "engine_failed", "\(server.log)")
        #expect(await Self.outcome(client, try MarkerPhoto.make(seed: 1401).file) == "ok")
        // A new engine took the dead one's place.
        let replacement = try #require(try Self.engines(of: server).first)
        #expect(replacement != engine)
        try await server.waitForLedgerEntries(2)
        #expect(server.log.contains("engine failed, replaced"), "\(server.log)")
        let records = try FileManager.default.contentsOfDirectory(at: server.ledgerDirectory.appendingPathComponent("segments"), includingPropertiesForKeys: nil)
            .flatMap { try Data(contentsOf: $0).split(separator: 0x0A) }
            .compactMap { try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        let failed = try #require(records.first { $0["error_code"] as? String == "engine_failed" }, "\(records)")
        // The gateway's copies of the photo were wiped and counted; the engine's memory went with it.
        #expect(((failed["bytes_wiped"] as? [String: Int])?["request_body"] ?? 0) > Self.largePhoto.count)
        #expect(failed["wipe_verified"] as? Bool == true)
        #expect(failed["engine_bytes_wiped"] == nil)
        let succeeded = try #require(records.first { $0["outcome"] as? String == "ok" })
        #expect(((succeeded["engine_bytes_wiped"] as? [String: Int])?["pixels"] ?? 0) > 0, "the engine's wipes are counted: \(succeeded)")
    }

    @Test("an engine is replaced after --engine-requests requests, and its replacement starts before a request needs it")
    func recycledEngine() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "1", "--engine-requests", "2"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let first = try #require(try await Self.waitForEngines(1, of: server).first)
        #expect(await Self.outcome(client, try MarkerPhoto.make(seed: 1501).file) == "ok")
        #expect(try Self.engines(of: server) == [first], "one request: the engine stays")
        #expect(await Self.outcome(client, try MarkerPhoto.make(seed: 1502).file) == "ok")
        // The second request retired it; the replacement starts with no request waiting for it.
        let deadline = ContinuousClock.now + .seconds(60)
        var engines = try Self.engines(of: server)
        while engines.count != 1 || engines == [first], .now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            engines = try Self.engines(of: server)
        }
        #expect(engines.count == 1 && engines != [first], "engines \(engines), the first \(first)")
        #expect(await Self.outcome(client, try MarkerPhoto.make(seed: 1503).file) == "ok")
    }

    @Test("the OHTTP private key from --key-file is in the gateway's memory and in no engine's")
    func keysStayInTheGateway() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-engine-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = try OHTTPPrivateKey(keyID: 7, kem: .x25519, rawPrivateKey: Data(raw))
        let keyFile = directory.appendingPathComponent("ohttp.key").path
        try OHTTPKeyFile.write([key], to: keyFile)
        let server = try await ServerProcess(arguments: ["--key-file", keyFile, "--engine-processes", "2"])
        defer { server.stop() }
        let engines = try await Self.waitForEngines(2, of: server)
        // Both engines have served a request (the key was in use meanwhile).
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let (photo1, photo2) = (try MarkerPhoto.make(seed: 1402).file, try MarkerPhoto.make(seed: 1403).file)
        async let first = Self.outcome(client, photo1)
        async let second = Self.outcome(client, photo2)
        #expect(await [first, second] == ["ok", "ok"])
        let marker = Marker(name: "ohttp private key", bytes: raw)
        let gateway = try await ProcessMemoryScan.scan(pid: server.pid, for: [marker], includeDescendants: false)
        #expect(gateway.totalHits > 0, "the scan must find the key where it is, or it proves nothing: \(gateway)")
        for engine in engines {
            let scan = try await ProcessMemoryScan.scan(pid: engine, for: [marker], includeDescendants: false)
            #expect(scan.regionsRead > 0)
            #expect(scan.totalHits == 0, "engine \(engine): \(scan)")
        }
    }

    @Test("an engine holds only its channel (stdin /dev/null, stdout and stderr the gateway's log) and a minimal environment")
    func engineDescriptorsAndEnvironment() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "2"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        #expect(await Self.outcome(client, try MarkerPhoto.make(seed: 1404).file) == "ok")
        let gatewayLog = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.pid)/fd/2")
        for engine in try await Self.waitForEngines(2, of: server) {
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(engine)/fd").compactMap(Int.init).sorted()
            #expect(descriptors == [0, 1, 2, 3], "engine \(engine) has \(descriptors)")
            for fd in descriptors {
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(engine)/fd/\(fd)")
                switch fd {
                case 0: #expect(target == "/dev/null")
                case 1, 2: #expect(target == gatewayLog, "\(target)")
                default: #expect(target.hasPrefix("socket:"), "\(target)")
                }
            }
            let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(engine)/environ")).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let names = Set(environment.map { String($0.prefix { $0 != "=" }) })
            #expect(names.isSubset(of: ["G_SLICE", "TMPDIR", "VIPSHOME", "TZ", "LETHE_TEST_FAULT_WIPE", "LETHE_UNSAFE_DISABLE_HEAP_SCRUB"]), "\(environment)")
            let commandLine = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(engine)/cmdline")).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            #expect(commandLine.dropFirst() == ["engine"])
        }
    }

    /// The file names of the shared objects mapped in process `pid`.
    static func mappedFiles(of pid: Int32) throws -> Set<String> {
        Set(try ProcFile.read("/proc/\(pid)/maps").split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).last.flatMap { $0.hasPrefix("/") ? $0.split(separator: "/").last.map(String.init) : nil }
        })
    }

    @Test("the gateway and its engines map libvips' HEIF module and no other: no ImageMagick, poppler, OpenSlide or JPEG XL")
    func onlyTheHEIFModule() async throws {
        let foreign = ["vips-magick", "vips-poppler", "vips-openslide", "vips-jxl", "libMagickCore", "libpoppler", "libopenslide", "libjxl"]
        func modules(_ files: Set<String>) -> Set<String> { files.filter { $0.hasPrefix("vips-") && $0.hasSuffix(".so") } }
        // The control: this test process started libvips without VIPSHOME, so it maps every module
        // installed beside libvips (Debian's five), ImageMagick's with its libraries.
        try VipsRuntime.start()
        let own = try Self.mappedFiles(of: getpid())
        #expect(modules(own).contains("vips-magick.so") && own.contains { $0.hasPrefix("libMagickCore") }, "the control sees no module: \(modules(own))")
        let server = try await ServerProcess(arguments: ["--engine-processes", "1"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        // A request served: the engine has started libvips.
        #expect(await Self.outcome(client, try MarkerPhoto.make(seed: 1405).file) == "ok")
        for pid in [server.pid] + (try await Self.waitForEngines(1, of: server)) {
            let files = try Self.mappedFiles(of: pid)
            #expect(modules(files) == ["vips-heif.so"], "process \(pid)")
            #expect(!files.contains { file in foreign.contains { file.hasPrefix($0) } }, "process \(pid): \(files.sorted())")
        }
    }

    @Test("SIGTERM to the gateway and its engines mid-request: the request finishes, then the engines stop with the gateway")
    func drainKeepsEngines() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "1"])
        defer { server.stop() }
        let (engine, slow) = try await Self.largeRequestInEngine(of: server) { engine in
            // As a container runtime or a terminal would: the whole group gets SIGTERM.
            kill(engine, SIGTERM)
            server.signal(SIGTERM)
        }
        #expect(await slow.value == "ok", "\(server.log)")
        #expect(try await server.waitForExit() == 0)
        #expect(kill(engine, 0) != 0, "the engine outlived its gateway")
    }

    @Test("every engine runs under its seccomp filter (Seccomp: 2, NoNewPrivs: 1)")
    func enginesAreFiltered() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "2"])
        defer { server.stop() }
        for engine in try await Self.waitForEngines(2, of: server) {
            let status = try String(contentsOfFile: "/proc/\(engine)/status", encoding: .utf8)
            #expect(status.contains("Seccomp:\t2"), "\(status)")
            #expect(status.contains("NoNewPrivs:\t1"), "\(status)")
        }
        #expect(server.log.contains("seccomp=allow-list(kill)"), "\(server.log)")
    }

    @Test("a locked-down engine decodes every upload format: JPEG, PNG, WebP, and HEIF where libvips encodes it")
    func everyFormatAfterLockDown() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "1"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let engine = try #require(try await Self.waitForEngines(1, of: server).first)
        for format in ImageFormat.allCases {
            // Larger than the warm-up's own images (HEIF's is 64 × 48), so the decoder sees a new size.
            let photo: Data
            do { photo = try MemoryBudgetTests.skinTexture(width: 320, height: 240, format: format) } catch {
                // A libheif without an HEVC encoder: no HEIF photo to send.
                try #require(format == .heif, "\(format): \(error)")
                continue
            }
            #expect(await Self.outcome(client, photo) == "ok", "\(format): \(server.log)")
        }
        // The same engine served them all: none died of a call the filter refuses.
        #expect(try Self.engines(of: server) == [engine], "\(server.log)")
        #expect(!server.log.contains("engine failed"), "\(server.log)")
    }

    @Test("a locked-down engine that calls openat or socket is killed by SIGSYS", arguments: ["openat", "socket"])
    func forbiddenCallKills(_ call: String) async throws {
        let run = try await Program.run(
            ServerProcess.executable.path, ["engine", "--self-test-forbidden", call, "--models-dir", Repository.models.path])
        // The control: it did lock down and reached the call.
        #expect(run.output.contains("locked down: seccomp=allow-list(kill)"), "\(run.output)")
        #expect(!run.output.contains("survived"), "\(run.output)")
        #expect(run.status == SIGSYS, "status \(run.status): \(run.output)")
    }
}
