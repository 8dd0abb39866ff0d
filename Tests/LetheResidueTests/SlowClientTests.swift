import Foundation
import LetheClient
import LetheLedger
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Clients that send slowly, announce too much, or never finish their headers, and inputs that
/// would compute for too long, against the real `lethe serve` over loopback sockets.
@Suite("Slow clients and runaway inputs")
struct SlowClientTests {
    /// `count` connections that announce a 30 MiB body and send its first byte.
    static func tricklers(_ count: Int, server: ServerProcess) throws -> [RawConnection] {
        try (0..<count).map { _ in
            let connection = try RawConnection(port: server.port)
            try connection.send(RawConnection.head(contentLength: 30 << 20) + Data([0x00]))
            return connection
        }
    }

    /// The `code` of a plaintext problem document.
    static func problemCode(_ body: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["code"] as? String
    }

    @Test("8 clients trickling 30 MiB bodies hold upload slots only: a normal request is served while they are connected")
    func tricklersDoNotHoldProcessingSlots() async throws {
        // Two processing slots and no queue: on a worker that admits before reading the body,
        // two tricklers would take every slot and the device would get 503.
        let server = try ServerProcess(arguments: ["--max-concurrent", "2", "--max-queued", "0"])
        defer { server.stop() }
        let tricklers = try Self.tricklers(8, server: server)
        defer { tricklers.forEach { $0.abort() } }
        try await server.waitForMetric("lethe_uploads_in_progress", toBe: 8)

        let photo = try MarkerPhoto.make(seed: 1200, width: 256, height: 256)
        let response = try await LetheClient(serverURL: server.baseURL, token: server.token).analyze(photo: photo.file)
        #expect(response.image.width == 256)
        // The eight are still connected and still uploading: the answer did not wait for them.
        #expect(try await server.metric("lethe_uploads_in_progress") == 8)
        #expect(try await server.metric("lethe_requests_in_flight") == 0)
    }

    @Test("a body slower than the minimum rate gets 408 upload_too_slow, a ledger entry, and its connection closed")
    func slowBodyIsCutOff() async throws {
        let server = try ServerProcess(arguments: ["--upload-timeout", "1", "--min-upload-rate", "1048576"])
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        try connection.send(RawConnection.head(contentLength: 100_000) + Data(repeating: 0x01, count: 10))
        let response = try connection.readResponse()
        #expect(response.status == 408)
        #expect(Self.problemCode(response.body) == "upload_too_slow")
        #expect(try connection.waitUntilClosed())
        try server.waitForLedgerEntries(1)
        #expect(try DeletionLedger.readEntries(in: server.ledgerDirectory).last?.errorCode == "upload_too_slow")
    }

    @Test("a body announced over the limit gets 413 at once, while the client is still sending")
    func announcedTooLarge() async throws {
        let server = try ServerProcess(arguments: ["--max-bytes", "100000"])
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        // Announces 10 MB, sends 1 KB of it, and waits for the answer.
        try connection.send(RawConnection.head(contentLength: 10_000_000) + Data(repeating: 0x02, count: 1000))
        let response = try connection.readResponse()
        #expect(response.status == 413)
        #expect(Self.problemCode(response.body) == "payload_too_large")
        #expect(try connection.waitUntilClosed())
    }

    @Test("a chunked body that grows past the limit gets 413 before it ends")
    func chunkedTooLarge() async throws {
        let server = try ServerProcess(arguments: ["--max-bytes", "100000"])
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        // The envelope limit is the photo limit plus 64 KiB: three 64 KiB chunks pass it. No last chunk.
        try connection.send(RawConnection.chunkedHead())
        for _ in 0..<3 { try connection.send(RawConnection.chunk(Data(repeating: 0x03, count: 65536))) }
        let response = try connection.readResponse()
        #expect(response.status == 413)
        #expect(Self.problemCode(response.body) == "payload_too_large")
        #expect(try connection.waitUntilClosed())
    }

    @Test("request headers that never end are cut off by the idle timeout")
    func endlessHeaders() async throws {
        let server = try ServerProcess(arguments: ["--idle-timeout", "1"])
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        try connection.send(Data("POST /.well-known/ohttp-gateway HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
        #expect(try connection.waitUntilClosed())
    }

    @Test("SIGTERM while 8 clients trickle: each gets 503 worker_draining and the worker exits 0 while they are still connected")
    func drainsWithTricklersConnected() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let tricklers = try Self.tricklers(8, server: server)
        defer { tricklers.forEach { $0.abort() } }
        try await server.waitForMetric("lethe_uploads_in_progress", toBe: 8)

        server.signal(SIGTERM)
        // Nothing here closes a trickler: only the worker can end these uploads.
        #expect(try server.waitForExit() == 0)
        for trickler in tricklers {
            let response = try trickler.readResponse()
            #expect(response.status == 503)
            #expect(Self.problemCode(response.body) == "worker_draining")
        }
    }

    @Test("a decode that would run past the request deadline is stopped inside libjpeg, answered processing_deadline_exceeded and recorded")
    func deadlineStopsDecode() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-deadline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // 49 megapixels of smooth noise as a progressive JPEG: libjpeg reads all ten scans into
        // its coefficient buffer, inside one call, before libvips sees a pixel (about a second here).
        let photoFile = directory.appendingPathComponent("progressive.jpg")
        let script = """
            import sys
            import numpy as np
            from PIL import Image
            small = np.random.default_rng(7).integers(0, 256, size=(700, 700, 3), dtype=np.uint8)
            Image.fromarray(small, "RGB").resize((7000, 7000), Image.BILINEAR).save(sys.argv[1], "JPEG", quality=90, progressive=True)
            """
        let made = try runToCompletion(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, photoFile.path])
        #expect(made.status == 0, "\(made.output)")
        let photo = try Data(contentsOf: photoFile)

        let server = try ServerProcess(arguments: ["--request-deadline", "0.25"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        do {
            _ = try await client.analyze(photo: photo)
            Issue.record("a 49-megapixel progressive JPEG was analysed within 0.25 s")
        } catch {
            #expect(error.code == "processing_deadline_exceeded")
            #expect(error.status == 503)
        }
        try server.waitForLedgerEntries(1)
        let entry = try #require(try DeletionLedger.readEntries(in: server.ledgerDirectory).last)
        #expect(entry.errorCode == "processing_deadline_exceeded")
        #expect(entry.wipeVerified)
        // libjpeg's multi-scan pass itself was stopped, not only the libvips pipeline after it.
        #expect(try await server.metric("lethe_codec_passes_aborted") ?? 0 >= 1)
        // The worker is still up and still analyses.
        let small = try MarkerPhoto.make(seed: 1201, width: 256, height: 256)
        #expect(try await client.analyze(photo: small.file).image.width == 256)
    }
}
