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
@Suite("Memory residue of the running worker", .serialized, .tags(.needsRoot, .needsPtrace))
struct ResidueTests {
    /// Scans the worker's memory (every process of it), its log and its ledger files for every
    /// form of the photos (`MarkerPhoto.allMarkers()`), and records an issue for every marker
    /// found; prints the scan summary. A region or file that cannot be read fails the test.
    func expectNoResidue(_ server: ServerProcess, _ photos: [MarkerPhoto], _ scenario: String) async throws {
        let markers = try photos.flatMap { try $0.allMarkers() }
        let report = try await ProcessMemoryScan.scan(pid: server.pid, for: markers)
        print("residue scan [\(scenario)]: \(markers.count) markers of \(Set(markers.map(\.kind)).count) kinds; \(report)")
        #expect(report.totalHits == 0, "\(scenario): \(report)")
        #expect(report.regionsRead > 0)
        // The worker's own read-back agrees (the deletion record's wipe_verified).
        #expect(!server.log.contains("wipe verify failed"), "\(scenario): the worker reported a failed wipe")
        try expectNoResidueInFiles(server, markers, scenario)
    }

    /// The worker's log and every file of its ledger; one that cannot be read fails the test
    /// instead of counting as empty (a file that was removed meanwhile, e.g. rotated, is gone).
    func expectNoResidueInFiles(_ server: ServerProcess, _ markers: [Marker], _ scenario: String) throws {
        var files = [server.directory.appendingPathComponent("stderr"), server.directory.appendingPathComponent("stdout")]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: server.ledgerDirectory.path) {
            let file = server.ledgerDirectory.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(file) }
        }
        for file in files {
            let bytes: Data
            do { bytes = try Data(contentsOf: file) } catch {
                guard !FileManager.default.fileExists(atPath: file.path) else {
                    throw HarnessError("\(scenario): \(file.path) cannot be read, so it cannot be shown free of residue: \(error)")
                }
                continue
            }
            for marker in markers {
                let hits = bytes.withUnsafeBytes { Search.occurrences(of: marker.bytes, in: $0) }
                #expect(hits.isEmpty, "\(scenario): \(marker) found in \(file.lastPathComponent)")
            }
        }
    }

    /// Occurrences per marker kind in `report`.
    func hitsPerKind(_ markers: [Marker], _ report: MemoryScanReport) -> [String: Int] {
        markers.reduce(into: [:]) { counts, marker in counts[marker.kind, default: 0] += report.hits[marker.name]?.count ?? 0 }
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

    /// Sends `photo` for `kind` the way LetheClient does, and returns the inner response.
    func send(_ photo: MarkerPhoto, kind: String, server: ServerProcess) async throws -> (status: Int, content: Data) {
        // The key configuration first, then the request with its Date: on a loaded machine the
        // fetch can take long enough to make a Date taken before it stale.
        let config = try await client(server).fetchKeyConfigs().first { $0.kemID == OHTTPKEM.x25519.kemID }!
        let (head, content) = try await client(server).send(
            BinaryHTTPRequest.encode(
                method: "POST", scheme: "http", authority: "127.0.0.1", path: "/v1/analyses?kind=\(kind)",
                headerFields: [
                    BinaryHTTPField(name: "authorization", value: "Bearer \(server.token)"),
                    BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
                ],
                content: photo.file),
            to: config)
        return (head.status, content)
    }

    @Test("after a single request")
    func single() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 1)
        let (status, content) = try await send(photo, kind: "skin", server: server)
        #expect(status == 200, "\(String(decoding: content.prefix(300), as: UTF8.self))")
        // The result marker is real: the answer the device got contains it.
        #expect(!content.withUnsafeBytes { Search.occurrences(of: photo.resultMarker.bytes, in: $0) }.isEmpty)
        try await server.waitForLedgerEntries(1)
        try await expectNoResidue(server, [photo], "single request")
    }

    @Test("after 8 concurrent requests (PNG and lossless WebP)")
    func concurrent() async throws {
        // Room for all eight at once, so that none is refused for capacity.
        let server = try await ServerProcess(arguments: ["--max-queued", "8", "--queue-timeout", "120"])
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
        try await server.waitForLedgerEntries(8)
        try await expectNoResidue(server, photos, "8 concurrent requests")
    }

    @Test("after face analyses (detector, regions, every concern)")
    func face() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let photos = try (0..<2).map { try MarkerPhoto.portrait(seed: 800 + UInt64($0)) }
        for photo in photos {
            let (status, content) = try await send(photo, kind: "face", server: server)
            #expect(status == 200, "\(String(decoding: content.prefix(300), as: UTF8.self))")
            // The face result marker is real: the answer the device got contains it.
            #expect(!content.withUnsafeBytes { Search.occurrences(of: photo.resultMarker.bytes, in: $0) }.isEmpty)
        }
        try await server.waitForLedgerEntries(photos.count)
        try await expectNoResidue(server, photos, "face analyses")
    }

    @Test("after requests with simulations (masks, overlay, after-care preview)")
    func simulations() async throws {
        let server = try await ServerProcess()
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
        try await server.waitForLedgerEntries(photos.count)
        try await expectNoResidue(server, photos, "simulations")
        let report = try await ProcessMemoryScan.scan(pid: server.pid, for: renderingMarkers)
        print("residue scan [simulation renderings]: \(report)")
        #expect(report.totalHits == 0, "simulation renderings: \(report)")
        // zlib and libpng leave pieces of their deflate output in dead frames of the thread that
        // encoded the masks, unless the pipeline wipes its stack after each job.
        let stacks = try await ProcessMemoryScan.scanUnusedStacks(pid: server.pid, for: encoderOutput)
        print("residue scan [unused thread stacks]: \(stacks)")
        #expect(stacks.totalHits == 0, "encoder output on thread stacks: \(stacks)")
        #expect(stacks.regionsRead > 0)
    }

    @Test("after requests that fail: truncated file, bad token, oversized image")
    func failures() async throws {
        let server = try await ServerProcess(arguments: ["--max-pixels", "100000"])
        defer { server.stop() }
        let truncated = try MarkerPhoto.make(seed: 200, width: 256, height: 256, truncatedTo: 0.6)
        let badToken = try MarkerPhoto.make(seed: 201, width: 256, height: 256)
        let oversized = try MarkerPhoto.make(seed: 202, width: 384, height: 384)
        await #expect(throws: LetheClientError.self) { _ = try await client(server).analyze(photo: truncated.file) }
        await #expect(throws: LetheClientError.self) { _ = try await client(server, token: "stolen").analyze(photo: badToken.file) }
        await #expect(throws: LetheClientError.self) { _ = try await client(server).analyze(photo: oversized.file) }
        try await server.waitForLedgerEntries(3)
        // The result markers cannot appear (no result was made); the file and pixel markers must not.
        try await expectNoResidue(server, [truncated, badToken, oversized], "failed requests")
    }

    @Test("after clients that disconnect mid-upload and mid-response")
    func disconnects() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let midUpload = try MarkerPhoto.make(seed: 300)
        let midResponse = try MarkerPhoto.make(seed: 301)

        let partial = try await envelope(for: midUpload, server: server)
        let uploading = try RawConnection(port: server.port)
        try uploading.send(RawConnection.head(contentLength: partial.count) + partial.prefix(partial.count / 2))
        // The worker is receiving the body (an event, not a guess at how long that takes).
        try await server.waitForMetric("lethe_uploads_in_progress", toBe: 1)
        uploading.abort()

        let complete = try await envelope(for: midResponse, server: server)
        let vanishing = try RawConnection(port: server.port)
        try vanishing.send(RawConnection.head(contentLength: complete.count) + complete)
        vanishing.abort()

        // Both requests finished: as a record, or (never decrypted, e.g. the aborted upload) as a
        // logged refusal that the ledger only counts (issue 12, point 6).
        let deadline = Date().addingTimeInterval(30)
        while server.ledgerEntryCount() + server.log.components(separatedBy: "request refused").count - 1 < 2, Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await expectNoResidue(server, [midUpload, midResponse], "client disconnects")
    }

    @Test("while shutdown is draining")
    func draining() async throws {
        // The drain lasts as long as the test holds the upload (up to 10 minutes), not the default
        // 5 s drain or 30 s upload timeout, which a scan of the whole memory on a loaded machine
        // could outlast.
        let server = try await ServerProcess(arguments: ["--drain-timeout", "600", "--upload-timeout", "600"])
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 400)
        _ = try await client(server).analyze(photo: photo.file)
        try await server.waitForLedgerEntries(1)

        // A slow upload keeps the worker draining after SIGTERM.
        let slow = try RawConnection(port: server.port)
        try slow.send(RawConnection.head(contentLength: 10_000) + Data(repeating: 0, count: 100))
        // SIGTERM only once the worker holds the upload: before, it has nothing to drain and exits.
        try await server.waitForMetric("lethe_uploads_in_progress", toBe: 1)
        server.signal(SIGTERM)
        // The event: the worker says it is draining (it holds the upload until the test drops it).
        try await server.waitUntilDraining()
        try await expectNoResidue(server, [photo], "draining after SIGTERM")

        slow.abort()
        #expect(try await server.waitForExit() == 0)
    }

    @Test("negative control: with the arena's wipes and heap scrubbing disabled, the harness finds every kind of marker")
    func harnessFindsEveryKind() async throws {
        // The planes, masks and crops live in arena buffers, which are unmapped by their wipe
        // whatever the heap scrubbing: only with the wipe itself disabled can they be shown findable.
        let server = try await ServerProcess(environment: ["LETHE_UNSAFE_DISABLE_HEAP_SCRUB": "1", "LETHE_TEST_FAULT_WIPE": "skip-all"])
        defer { server.stop() }
        #expect(server.log.contains("heap_scrub=OFF"))
        #expect(server.log.contains("wipe_fault=skip-all"))
        let portrait = try MarkerPhoto.portrait(seed: 522)
        // WebP last: libwebp's ARGB words lie in freed heap memory, which later requests reuse.
        let skin = try [MarkerPhoto.make(seed: 520, format: .png), MarkerPhoto.make(seed: 521, format: .webp)]
        _ = try await client(server).analyze(photo: portrait.file, kind: "face")
        var simulating = client(server)
        simulating.simulation = SimulationOptions(concerns: ["spots", "redness", "pores", "wrinkles", "evenness"], strength: 1, format: "png")
        _ = try await simulating.analyze(photo: skin[0].file)
        _ = try await client(server).analyze(photo: skin[1].file)
        try await server.waitForLedgerEntries(3)
        let markers = try (skin + [portrait]).flatMap { try $0.allMarkers() }
        let report = try await ProcessMemoryScan.scan(pid: server.pid, for: markers)
        let perKind = hitsPerKind(markers, report)
        print("residue scan [arena wipes and heap scrubbing disabled]: per kind \(perKind.sorted { $0.key < $1.key }); \(report.description.prefix(400))")
        #expect(Set(perKind.keys) == LayoutMarkers.kinds, "kinds searched")
        for (kind, count) in perKind.sorted(by: { $0.key < $1.key }) {
            #expect(count > 0, "\(kind): not found with every wipe disabled, so the harness could not find it either way")
        }
        // The deletion record reports the broken wipes too.
        #expect(server.log.contains("wipe verify failed"))
    }

    @Test("negative control: with heap scrubbing disabled, the harness finds what the codecs left (it can fail)")
    func harnessCanFail() async throws {
        // What freed memory still holds when the scan comes depends on which later allocations
        // reused it: one engine and one thread per request, so that the four photos are decoded
        // and measured in one process, in order, whichever engine is free and whether a second
        // core is (with two engines and a second thread when a core is idle, a run on a loaded
        // machine found libwebp's buffers but no pixels; this way 8 of 8 runs found 1–3 pixel hits).
        let server = try await ServerProcess(environment: [
            "LETHE_UNSAFE_DISABLE_HEAP_SCRUB": "1", "LETHE_ENGINE_PROCESSES": "1", "LETHE_REQUEST_THREADS": "1",
        ])
        defer { server.stop() }
        #expect(server.log.contains("heap_scrub=OFF"))
        let photos = try (0..<4).map { try MarkerPhoto.make(seed: 500 + UInt64($0), format: $0 % 2 == 0 ? .png : .webp) }
        for photo in photos { _ = try await client(server).analyze(photo: photo.file) }
        try await server.waitForLedgerEntries(photos.count)
        let markers = try photos.flatMap { try $0.allMarkers() }
        let report = try await ProcessMemoryScan.scan(pid: server.pid, for: markers)
        let perKind = hitsPerKind(markers, report)
        print("residue scan [heap scrubbing disabled]: per kind \(perKind.sorted { $0.key < $1.key }); \(report.description.prefix(400))")
        // Only what libvips and the codecs hold in malloc'd memory can be left by freeing without
        // zeroing; everything else is in arena buffers (see `harnessFindsEveryKind`). Which of
        // those small freed buffers the rest of the last request reuses is chance: runs find one
        // or two of each kind, and a run on a loaded machine found libwebp's ARGB words but no
        // RGB row. One codec layout found shows that the harness sees what freeing leaves.
        let found = HeapScrubControl.codecKinds.filter { (perKind[$0] ?? 0) > 0 }
        #expect(!found.isEmpty, "without zero-on-free, freed codec buffers should still hold RGB rows or libwebp's ARGB words: \(perKind)")
    }

    @Test("a wipe that skips one page is caught by the outside scan and by the deletion record")
    func skippedPageIsCaught() async throws {
        let photo = try MarkerPhoto.make(seed: 1300)
        // The decoded RGB buffer starts on a page boundary: the page that holds the pixel marker.
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = photo.pixelMarkerOffset / page
        let last = (photo.pixelMarkerOffset + photo.pixelMarker.bytes.count - 1) / page
        try #require(first == last, "the pixel marker straddles pages \(first) and \(last)")
        let server = try await ServerProcess(environment: ["LETHE_TEST_FAULT_WIPE": "skip-page:\(first)"])
        defer { server.stop() }
        #expect(server.log.contains("wipe_fault=skip-page:\(first)"))
        let (status, _) = try await send(photo, kind: "skin", server: server)
        #expect(status == 200)
        try await server.waitForLedgerEntries(1)

        // From outside: the page's bytes are still in the worker.
        let report = try await ProcessMemoryScan.scan(pid: server.pid, for: [photo.pixelMarker])
        print("residue scan [one page left unwiped]: \(report)")
        #expect(report.hits[photo.pixelMarker.name]?.isEmpty == false, "the outside scan missed the page the wipe skipped")
        // The deletion record: the read-back saw the page and the entry says the wipe failed.
        let entries = try FileManager.default.subpathsOfDirectory(atPath: server.ledgerDirectory.path)
            .filter { $0.hasSuffix(".jsonl") }
            .map { try String(contentsOf: server.ledgerDirectory.appendingPathComponent($0), encoding: .utf8) }
            .joined()
        #expect(entries.contains(#""wipe_verified":false"#), "the deletion record did not report the failed wipe")
        #expect(!entries.contains(#""wipe_verified":true"#))
        #expect(server.log.contains("wipe verify failed"))
    }
}

/// What the heap-scrubbing negative control expects the codecs to leave in freed heap memory:
/// libvips' and the decoders' RGB rows, and libwebp's ARGB words for the WebP uploads. Every other
/// kind lives only in arena buffers, which the wipe unmaps whatever the heap scrubbing (measured:
/// 0 occurrences of them with scrubbing off; `harnessFindsEveryKind` shows them findable).
enum HeapScrubControl {
    static let codecKinds = ["pixels", "libwebp argb"]
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
