import Foundation
import LetheClient
import LetheEnvelope
import LetheLedger
import LetheTransparency
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
        // Long upload and idle deadlines: on a loaded machine the normal request can take longer
        // than either default (30 s) would let the tricklers live — they send one byte and then
        // nothing — and they must still be connected when it is answered.
        let server = try await ServerProcess(arguments: [
            "--max-concurrent", "2", "--max-queued", "0", "--upload-timeout", "600", "--idle-timeout", "600",
        ])
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

    @Test("a body slower than the minimum rate gets 408 upload_too_slow, a count in its period's ledger summary, and its connection closed")
    func slowBodyIsCutOff() async throws {
        let server = try await ServerProcess(arguments: ["--upload-timeout", "1", "--min-upload-rate", "1048576"])
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        try connection.send(RawConnection.head(contentLength: 100_000) + Data(repeating: 0x01, count: 10))
        let response = try connection.readResponse()
        #expect(response.status == 408)
        #expect(Self.problemCode(response.body) == "upload_too_slow")
        #expect(try connection.waitUntilClosed())
        // Nothing was decrypted: no record to write and fsync, a count in the period's summary,
        // which the drain publishes.
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(try DeletionLedger.readEntries(in: server.ledgerDirectory).isEmpty)
        let refused = try DeletionLedger.readLog(in: server.ledgerDirectory).compactMap { entry -> Int? in
            if case .summary(let summary) = entry { summary.refused["upload_too_slow"] } else { nil }
        }
        #expect(refused.reduce(0, +) == 1)
    }

    @Test("a body announced over the limit gets 413 at once, while the client is still sending")
    func announcedTooLarge() async throws {
        let server = try await ServerProcess(arguments: ["--max-bytes", "100000"])
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
        let server = try await ServerProcess(arguments: ["--max-bytes", "100000"])
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
        let server = try await ServerProcess(arguments: ["--idle-timeout", "1"])
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        try connection.send(Data("POST /.well-known/ohttp-gateway HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8))
        #expect(try connection.waitUntilClosed())
    }

    @Test("SIGTERM while 8 clients trickle: after the drain timeout each gets 503 worker_draining and the worker exits 0 while they are still connected")
    func drainsWithTricklersConnected() async throws {
        // Only the drain may end these uploads: the upload and idle deadlines (30 s by default)
        // are out of reach even when a loaded machine is slow to start the worker and count them.
        let server = try await ServerProcess(arguments: ["--drain-timeout", "1", "--upload-timeout", "600", "--idle-timeout", "600"])
        defer { server.stop() }
        let tricklers = try Self.tricklers(8, server: server)
        defer { tricklers.forEach { $0.abort() } }
        try await server.waitForMetric("lethe_uploads_in_progress", toBe: 8)

        server.signal(SIGTERM)
        // Nothing here closes a trickler: only the worker can end these uploads.
        #expect(try await server.waitForExit() == 0)
        for trickler in tricklers {
            let response = try trickler.readResponse()
            #expect(response.status == 503)
            #expect(Self.problemCode(response.body) == "worker_draining")
        }
    }

    @Test("a body still arriving at SIGTERM is analysed when it finishes within the drain timeout")
    func drainLetsHonestUploadFinish() async throws {
        let server = try await ServerProcess(arguments: ["--drain-timeout", "60"])
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 1202, width: 256, height: 256)
        let config = try #require(try await LetheClient(serverURL: server.baseURL, token: server.token)
            .fetchKeyConfigs().first { $0.kemID == OHTTPKEM.x25519.kemID })
        let inner = BinaryHTTPRequest.encode(
            method: "POST", scheme: "http", authority: "127.0.0.1", path: "/v1/analyses?kind=skin",
            headerFields: [
                BinaryHTTPField(name: "authorization", value: "Bearer \(server.token)"),
                BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
            ],
            content: photo.file)
        let envelope = try OHTTPClient(keyConfig: config).encapsulate(inner).encapsulatedRequest
        let connection = try RawConnection(port: server.port)
        defer { connection.closeGracefully() }
        try connection.send(RawConnection.head(contentLength: envelope.count) + envelope.prefix(envelope.count / 2))
        try await server.waitForMetric("lethe_uploads_in_progress", toBe: 1)

        server.signal(SIGTERM)
        // The event: the worker reports that it is draining.
        try await server.waitUntilDraining()
        try connection.send(envelope.suffix(from: envelope.count / 2))
        let response = try connection.readResponse()
        #expect(response.status == 200)
        #expect(response.headers.lowercased().contains("content-type: message/ohttp-res"))
        #expect(try await server.waitForExit() == 0)
        #expect(server.ledgerEntryCount() == 1)
    }

    @Test("a decode that would run past the request deadline or CPU budget is stopped inside libjpeg's multi-scan pass, answered processing_deadline_exceeded and recorded",
          arguments: [
              (["--request-deadline", "0.5"], "wall-clock limit"),
              (["--request-deadline", "600", "--request-cpu-limit", "0.5"], "CPU budget"),
          ])
    func deadlineStopsDecode(limits: [String], stoppedBy: String) async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-deadline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A 49-megapixel progressive JPEG of 90 scans (its own 10, then 80 of its AC scans again, a
        // bogus progression libjpeg only warns about): libjpeg walks every block once per scan
        // inside one jpeg_start_decompress call, before libvips sees a pixel — over a second here,
        // from a 300 KB file that takes no time to upload, decrypt or sniff.
        let photoFile = directory.appendingPathComponent("progressive.jpg")
        let script = """
            import io, struct, sys
            from PIL import Image
            def segments(data):
                found, i = [], 2
                while i < len(data) and data[i + 1] != 0xD9:
                    end = i + 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
                    if data[i + 1] == 0xDA:
                        while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                            end += 1
                    found.append((data[i + 1], data[i:end]))
                    i = end
                return found
            out = io.BytesIO()
            Image.new("RGB", (7000, 7000), (196, 146, 118)).save(out, "JPEG", quality=85, progressive=True)
            header, scans, pending = b"", [], b""
            for marker, segment in segments(out.getvalue()):
                if marker == 0xDA:
                    scans.append((segment[5 + 2 * segment[4]], pending + segment))
                    pending = b""
                elif scans:
                    pending += segment
                else:
                    header += segment
            ac = [unit for start, unit in scans if start > 0]
            body = [unit for _, unit in scans] + [ac[i % len(ac)] for i in range(80)]
            open(sys.argv[1], "wb").write(b"\\xff\\xd8" + header + b"".join(body) + b"\\xff\\xd9")
            """
        let made = try await Program.run("/usr/bin/env", ["python3", "-c", script, photoFile.path])
        #expect(made.status == 0, "\(made.output)")
        let photo = try Data(contentsOf: photoFile)

        let server = try await ServerProcess(arguments: limits)
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        // Under the CPU budget the photo goes twice, the proof below on the second: the budget
        // counts the kernel's time too, and the first 147 MB buffer of a machine that sat idle
        // costs the engine's thread more of it to map and lock (measured after 45 s idle: the first
        // request stopped after 0.86 s, before libjpeg's pass, the next one after 0.52 s, inside
        // it). The first is a correct refusal as well, and is checked as one.
        let sends = stoppedBy == "CPU budget" ? 2 : 1
        for _ in 0..<sends {
            do {
                _ = try await client.analyze(photo: photo)
                Issue.record("a 90-scan 49-megapixel progressive JPEG was analysed within 0.5 s")
            } catch {
                #expect(error.code == "processing_deadline_exceeded")
                #expect(error.status == 503)
                #expect(error.message.contains(stoppedBy), "\(error.message)")
            }
        }
        try await server.waitForLedgerEntries(sends)
        let entries = try DeletionLedger.readEntries(in: server.ledgerDirectory)
        #expect(entries.count == sends && entries.allSatisfy { $0.errorCode == "processing_deadline_exceeded" && $0.wipeVerified })
        // libjpeg's multi-scan pass itself was stopped, not only the libvips pipeline after it. With
        // its buffers' pages at hand, the CPU budget is spent by the work itself, so it runs out
        // inside that pass; half a second of wall clock on a loaded machine can run out before the
        // pass starts (a fresh CI run stopped it earlier), which is a correct refusal but not this proof.
        if stoppedBy == "CPU budget" {
            #expect(try await server.metric("lethe_codec_passes_aborted") ?? 0 >= 1)
        }
        // The worker is still up and, after a pass stopped inside libjpeg, still analyses. Asked
        // under the CPU budget only: with half a second of wall clock, any request on a loaded CI
        // machine can run out (a fresh run refused the 256-pixel photo so), which would say nothing
        // about the stopped pass; there the worker must still be ready.
        if stoppedBy == "CPU budget" {
            let small = try MarkerPhoto.make(seed: 1201, width: 256, height: 256)
            #expect(try await client.analyze(photo: small.file).image.width == 256)
        } else {
            #expect(try await server.readiness().status == 200)
        }
    }
}
