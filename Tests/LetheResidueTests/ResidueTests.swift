import Foundation
import LetheClient
import LetheEnvelope
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Zero residue, proven from outside: the real `lethe serve` binary handles marker photos, then
/// its whole memory is read through /proc/PID/mem and searched for the photo file's bytes, its
/// pixels and the plaintext result.
@Suite("Memory residue of the running worker", .serialized)
struct ResidueTests {
    /// Scans the worker's memory, its log and its ledger files, and records an issue for every
    /// marker found; prints the scan summary.
    func expectNoResidue(_ server: ServerProcess, _ photos: [MarkerPhoto], _ scenario: String) throws {
        let markers = photos.flatMap(\.markers)
        let report = try ProcessMemoryScan.scan(pid: server.pid, for: markers)
        print("residue scan [\(scenario)]: \(report)")
        #expect(report.totalHits == 0, "\(scenario): \(report)")
        #expect(report.regionsRead > 0)

        var files = [server.directory.appendingPathComponent("stderr"), server.directory.appendingPathComponent("stdout")]
        let ledgerFiles = FileManager.default.enumerator(at: server.ledgerDirectory, includingPropertiesForKeys: nil)
        files += (ledgerFiles?.allObjects as? [URL]) ?? []
        for file in files {
            let bytes = (try? Data(contentsOf: file)) ?? Data()
            for marker in markers {
                let hits = bytes.withUnsafeBytes { Search.occurrences(of: marker.bytes, in: $0) }
                #expect(hits.isEmpty, "\(scenario): \(marker) found in \(file.lastPathComponent)")
            }
        }
    }

    func client(_ server: ServerProcess, token: String? = nil) -> LetheClient {
        LetheClient(serverURL: server.baseURL, token: token ?? server.token)
    }

    /// A valid encapsulated request for `photo`, built the way LetheClient builds it.
    func envelope(for photo: MarkerPhoto, server: ServerProcess) async throws -> Data {
        let config = try await client(server).fetchKeyConfigs().first { $0.kemID == OHTTPKEM.x25519.kemID }!
        let inner = BinaryHTTPRequest.encode(
            method: "POST", scheme: "http", authority: "127.0.0.1", path: "/v1/analyses?kind=skin",
            headerFields: [
                BinaryHTTPField(name: "authorization", value: "Bearer \(server.token)"),
                BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
            ],
            content: photo.file)
        return try OHTTPClient(keyConfig: config).encapsulate(inner).encapsulatedRequest
    }

    @Test("after a single request")
    func single() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 1)
        // The key configuration first, then the request with its Date: on a loaded machine the
        // fetch can take long enough to make a Date taken before it stale.
        let config = try await client(server).fetchKeyConfigs().first { $0.kemID == OHTTPKEM.x25519.kemID }!
        let (head, content) = try await client(server).send(
            BinaryHTTPRequest.encode(
                method: "POST", scheme: "http", authority: "127.0.0.1", path: "/v1/analyses?kind=skin",
                headerFields: [
                    BinaryHTTPField(name: "authorization", value: "Bearer \(server.token)"),
                    BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
                ],
                content: photo.file),
            to: config)
        #expect(head.status == 200, "\(String(decoding: content.prefix(300), as: UTF8.self))")
        // The result marker is real: the answer the device got contains it.
        #expect(!Search.occurrences(of: photo.resultMarker.bytes, in: content.withUnsafeBytes { UnsafeRawBufferPointer($0) }).isEmpty)
        try server.waitForLedgerEntries(1)
        try expectNoResidue(server, [photo], "single request")
    }

    @Test("after 8 concurrent requests (PNG and lossless WebP)")
    func concurrent() async throws {
        // Room for all eight at once, so that none is refused for capacity.
        let server = try ServerProcess(arguments: ["--max-queued", "8", "--queue-timeout", "120"])
        defer { server.stop() }
        let photos = try (0..<8).map { try MarkerPhoto.make(seed: 100 + UInt64($0), format: $0 % 2 == 0 ? .png : .webp) }
        let client = client(server)
        // Outcomes are collected rather than thrown: a throwing group would cancel the other
        // requests, and cancelling URLSession tasks can deadlock FoundationNetworking on Linux.
        let failures = await withTaskGroup(of: String?.self) { group in
            for photo in photos {
                group.addTask {
                    do { _ = try await client.analyze(photo: photo.file); return nil } catch { return "\(error)" }
                }
            }
            return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
        }
        #expect(failures.isEmpty, "\(failures)")
        try server.waitForLedgerEntries(8)
        try expectNoResidue(server, photos, "8 concurrent requests")
    }

    @Test("after face analyses (detector, regions, every concern)")
    func face() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let photos = try (0..<2).map { try MarkerPhoto.portrait(seed: 800 + UInt64($0)) }
        for photo in photos {
            let response = try await client(server).analyze(photo: photo.file, kind: "face")
            #expect(response.face != nil)
        }
        try server.waitForLedgerEntries(photos.count)
        try expectNoResidue(server, photos, "face analyses")
    }

    @Test("after requests with simulations (masks, overlay, after-care preview)")
    func simulations() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let photos = try (0..<2).map { try MarkerPhoto.make(seed: 900 + UInt64($0)) }
        var client = client(server)
        // PNG: lossless, so the stripe (not skin) passes into the preview and the overlay unchanged.
        client.simulation = SimulationOptions(concerns: ["spots", "redness", "pores", "wrinkles", "evenness"], strength: 1, format: "png")
        var renderingMarkers: [Marker] = []
        var encoderOutput: [Marker] = []
        for (index, photo) in photos.enumerated() {
            let response = try await client.analyze(photo: photo.file)
            let preview = try #require(response.preview)
            let mask = try #require(response.masks?["wrinkles"])
            // The rendered files and their base64 text, as the worker held them before the wipe.
            let base64 = Array(preview.data.base64EncodedString().utf8)
            renderingMarkers.append(try Marker.informative(in: preview.data, length: 48, name: "preview file#\(index)"))
            renderingMarkers.append(try Marker.informative(in: base64, length: 48, name: "preview base64#\(index)"))
            renderingMarkers.append(try Marker.informative(in: mask.image.data, length: 48, name: "mask file#\(index)"))
            if let overlay = response.overlay {
                renderingMarkers.append(try Marker.informative(in: overlay.data, length: 48, name: "overlay file#\(index)"))
            }
            // Any window of an encoded mask, informative or not, is the encoder's output.
            for (concern, mask) in response.masks ?? [:] {
                let bytes = Array(mask.image.data)
                let start = bytes.count / 2 - 24
                encoderOutput.append(Marker(name: "mask \(concern) encoding#\(index)", bytes: Array(bytes[start..<(start + 48)])))
            }
        }
        try server.waitForLedgerEntries(photos.count)
        try expectNoResidue(server, photos, "simulations")
        let report = try ProcessMemoryScan.scan(pid: server.pid, for: renderingMarkers)
        print("residue scan [simulation renderings]: \(report)")
        #expect(report.totalHits == 0, "simulation renderings: \(report)")
        // zlib and libpng leave pieces of their deflate output in dead frames of the thread that
        // encoded the masks, unless the pipeline wipes its stack after each job.
        let stacks = try ProcessMemoryScan.scanUnusedStacks(pid: server.pid, for: encoderOutput)
        print("residue scan [unused thread stacks]: \(stacks)")
        #expect(stacks.totalHits == 0, "encoder output on thread stacks: \(stacks)")
        #expect(stacks.regionsRead > 0)
    }

    @Test("after requests that fail: truncated file, bad token, oversized image")
    func failures() async throws {
        let server = try ServerProcess(arguments: ["--max-pixels", "100000"])
        defer { server.stop() }
        let truncated = try MarkerPhoto.make(seed: 200, width: 256, height: 256, truncatedTo: 0.6)
        let badToken = try MarkerPhoto.make(seed: 201, width: 256, height: 256)
        let oversized = try MarkerPhoto.make(seed: 202, width: 384, height: 384)
        await #expect(throws: LetheClientError.self) { _ = try await client(server).analyze(photo: truncated.file) }
        await #expect(throws: LetheClientError.self) { _ = try await client(server, token: "stolen").analyze(photo: badToken.file) }
        await #expect(throws: LetheClientError.self) { _ = try await client(server).analyze(photo: oversized.file) }
        try server.waitForLedgerEntries(3)
        // The result markers cannot appear (no result was made); the file and pixel markers must not.
        try expectNoResidue(server, [truncated, badToken, oversized], "failed requests")
    }

    @Test("after clients that disconnect mid-upload and mid-response")
    func disconnects() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let midUpload = try MarkerPhoto.make(seed: 300)
        let midResponse = try MarkerPhoto.make(seed: 301)

        let partial = try await envelope(for: midUpload, server: server)
        let uploading = try RawConnection(port: server.port)
        try uploading.send(RawConnection.head(contentLength: partial.count) + partial.prefix(partial.count / 2))
        usleep(200_000)
        uploading.abort()

        let complete = try await envelope(for: midResponse, server: server)
        let vanishing = try RawConnection(port: server.port)
        try vanishing.send(RawConnection.head(contentLength: complete.count) + complete)
        vanishing.abort()

        // Both requests finished: as a record, or (never decrypted, e.g. the aborted upload) as a
        // logged refusal that the ledger only counts (issue 12, point 6).
        let deadline = Date().addingTimeInterval(30)
        while server.ledgerEntryCount() + server.log.components(separatedBy: "request refused").count - 1 < 2, Date() < deadline {
            usleep(20_000)
        }
        try expectNoResidue(server, [midUpload, midResponse], "client disconnects")
    }

    @Test("while shutdown is draining")
    func draining() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 400)
        _ = try await client(server).analyze(photo: photo.file)
        try server.waitForLedgerEntries(1)

        // A slow upload keeps the worker draining after SIGTERM.
        let slow = try RawConnection(port: server.port)
        try slow.send(RawConnection.head(contentLength: 10_000) + Data(repeating: 0, count: 100))
        usleep(100_000)
        server.signal(SIGTERM)
        usleep(500_000)
        #expect(server.process.isRunning, "the worker should still be draining the slow upload")
        try expectNoResidue(server, [photo], "draining after SIGTERM")

        slow.abort()
        #expect(try server.waitForExit() == 0)
    }

    @Test("the harness finds residue when heap scrubbing is disabled (it can fail)")
    func harnessCanFail() async throws {
        let server = try ServerProcess(environment: ["LETHE_UNSAFE_DISABLE_HEAP_SCRUB": "1"])
        defer { server.stop() }
        #expect(server.log.contains("heap_scrub=OFF"))
        let photos = try (0..<4).map { try MarkerPhoto.make(seed: 500 + UInt64($0), format: $0 % 2 == 0 ? .png : .webp) }
        for photo in photos { _ = try await client(server).analyze(photo: photo.file) }
        try server.waitForLedgerEntries(photos.count)
        let report = try ProcessMemoryScan.scan(pid: server.pid, for: photos.flatMap(\.markers))
        print("residue scan [heap scrubbing disabled]: \(report)")
        #expect(report.totalHits > 0, "without zero-on-free, freed codec buffers should still hold photo data")
    }
}

@Suite("Residue markers")
struct MarkerTests {
    @Test("a periodic window (a mostly-empty PNG's deflate pattern) is refused; random bytes are accepted")
    func informative() throws {
        // The 31-byte period a mostly-transparent mask encodes to, as found in issue 12.
        let period: [UInt8] = [0xe4, 0x01, 0x00, 0x34, 0xf2, 0x00, 0x00, 0x1a, 0x79, 0x00, 0x00, 0x8d, 0x3c, 0x00, 0x80, 0x46,
                               0x1e, 0x00, 0x40, 0x23, 0x0f, 0x00, 0xa0, 0x91, 0x07, 0x00, 0xd0, 0xc8, 0x03, 0x00, 0x68]
        let periodic = Array((0..<4).flatMap { _ in period })
        #expect(!Marker.isInformative(periodic.prefix(48)))
        #expect(throws: HarnessError.self) { try Marker.informative(in: periodic, length: 48, name: "periodic") }
        #expect(!Marker.isInformative([UInt8](repeating: 7, count: 48)))
        var random = SeededGenerator(seed: 12)
        let noise = (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        #expect(Marker.isInformative(noise.prefix(48)))
        // A file that is periodic except for one informative stretch yields that stretch.
        let mixed = periodic + noise.prefix(64) + periodic
        let marker = try Marker.informative(in: mixed, length: 48, name: "mixed")
        #expect(noise.prefix(64).withUnsafeBytes { Search.occurrences(of: marker.bytes, in: $0).count } == 1)
    }
}
