import CLetheSystem
import Foundation
import LetheClient
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What the worker says about its own protections is what is in force (issue 12, point 8).
@Suite("Hardening that reports what it does")
struct HardeningTests {
    @Test("glib slices reach the zeroing free in the worker (re-executed with G_SLICE) and not in a process glib started without it")
    func glibSlices() async throws {
        // The control: this test process's glib initialised without G_SLICE, so GSlice keeps
        // freed blocks in its magazines and the probe must see the bytes survive.
        if ProcessInfo.processInfo.environment["G_SLICE"] == nil {
            #expect(lethe_glib_slices_reach_free() == 0, "the probe cannot tell: a slice freed without G_SLICE was zeroed")
        }
        let server = try await ServerProcess()
        defer { server.stop() }
        #expect(server.log.contains("glib_slices=on"), "\(server.log.prefix(2000))")
        let environment = try ProcFile.read("/proc/\(server.pid)/environ").split(separator: "\0")
        #expect(environment.contains("G_SLICE=always-malloc"))
    }

    @Test("the program makes the worker non-dumpable with core limit 0, and TMPDIR and VIPSHOME point nowhere from exec on")
    func processWideMeasures() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        // In the environment the process was executed with (CLetheLaunch re-executes with it), so
        // no library can have read another value first.
        let environment = try ProcFile.read("/proc/\(server.pid)/environ").split(separator: "\0").map(String.init)
        #expect(environment.contains("TMPDIR=\(ProcessHardening.noTemporaryDirectory)"), "\(environment.filter { $0.hasPrefix("TMPDIR") })")
        #expect(!FileManager.default.fileExists(atPath: ProcessHardening.noTemporaryDirectory))
        // And libvips' prefix: no module directory beside it (EngineProcessTests.onlyTheHEIFModule).
        #expect(environment.contains("VIPSHOME=\(VipsRuntime.homeWithoutModules)"), "\(environment.filter { $0.hasPrefix("VIPSHOME") })")
        #expect(!FileManager.default.fileExists(atPath: VipsRuntime.homeWithoutModules))
        // Seen from outside: "Max core file size  0  0  bytes".
        let limits = try ProcFile.read("/proc/\(server.pid)/limits").split(separator: "\n")
        let core = try #require(limits.first { $0.hasPrefix("Max core file size") })
        #expect(Array(core.split(separator: " ").dropFirst(4).prefix(2)) == ["0", "0"], "\(core)")
        let summary = try await server.readiness().readiness.hardening_summary
        #expect(summary.contains("non_dumpable=on") && summary.contains("core_limit_zero=on"), "\(summary)")
    }

    @Test("--require-hardening true: ready with everything in force, 503 naming heap_scrub when it is off")
    func requireHardening() async throws {
        let hardened = try await ServerProcess(arguments: ["--require-hardening", "true"])
        defer { hardened.stop() }
        let (status, readiness) = try await hardened.readiness()
        #expect(status == 200 && readiness.ready && readiness.hardening_missing.isEmpty, "\(readiness)")

        let weakened = try await ServerProcess(
            arguments: ["--require-hardening", "true"], environment: ["LETHE_UNSAFE_DISABLE_HEAP_SCRUB": "1"])
        defer { weakened.stop() }
        let (weakStatus, weakReadiness) = try await weakened.readiness()
        #expect(weakStatus == 503 && !weakReadiness.ready)
        #expect(weakReadiness.hardening_missing.contains("heap_scrub"))
    }

    /// One locked page proved little: a worker whose plaintext buffers exceed RLIMIT_MEMLOCK
    /// kept saying `mlock=on`. Without CAP_IPC_LOCK (dropped with setpriv) and a 64 KiB limit,
    /// a photo's buffers cannot be locked and the worker must say so everywhere.
    @Test("mlock refusals are reported in /readyz, the metrics and by --require-hardening (needs root for setpriv)")
    func memoryLockTruth() async throws {
        let server = try await ServerProcess(
            arguments: ["--require-hardening", "true"],
            wrapper: ["setpriv", "--bounding-set=-ipc_lock", "--inh-caps=-ipc_lock", "prlimit", "--memlock=65536:65536"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        _ = try await client.analyze(photo: try MarkerPhoto.make(seed: 1200).file)
        try await server.waitForLedgerEntries(1)
        let (status, readiness) = try await server.readiness()
        #expect(status == 503 && readiness.hardening_missing.contains("mlock"), "\(readiness)")
        #expect(readiness.hardening_summary.contains("mlock=OFF"))
        let metricsURL = try #require(server.adminURL).appendingPathComponent("metrics")
        let metrics = String(decoding: try await URLSession.shared.data(from: metricsURL).0, as: UTF8.self)
        let failures = metrics.split(separator: "\n").first { $0.hasPrefix("lethe_mlock_failures ") }
        #expect((failures?.split(separator: " ").last.flatMap { Double($0) } ?? 0) > 0, "\(failures ?? "no lethe_mlock_failures")")
    }

    @Test("Landlock confines TCP and signals where the kernel can, verified by attempts the kernel refuses")
    func landlockNetworkAndScopes() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let line = try #require(server.log.split(separator: "\n").first { $0.contains("hardening ") })
        // This machine's kernel has Landlock ABI 7; where a kernel lacks ABI 4 or 6 the line says
        // UNSUPPORTED and an error line says what is missing.
        #expect(line.contains("net=bind(0,0)+connect(none) "), "\(line)")
        #expect(line.contains("scope=abstract-unix,signal"), "\(line)")
        #expect(!line.contains("NOT-VERIFIED") && !line.contains("UNSUPPORTED"), "\(line)")
    }
}
