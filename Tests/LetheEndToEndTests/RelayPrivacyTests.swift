import Foundation
import LetheAPI
import LetheClient
import LetheEnvelope
import LetheLedger
import LetheTestSupport
import LetheTransparency
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The worker's ledger clock, moved by the test: the relay reads the same clock, so it knows each
/// request's time exactly (the strongest relay), and the test decides which period each falls in.
final class TestLedgerClock: Sendable {
    private let state: Mutex<(wall: Date, monotonic: Duration)>

    init(_ start: Date) { state = Mutex((start, .seconds(1))) }

    func advance(seconds: Double) {
        state.withLock { $0 = ($0.wall.addingTimeInterval(seconds), $0.monotonic + .milliseconds(Int64(seconds * 1000))) }
    }

    var now: Date { state.withLock { $0.wall } }

    var ledgerClock: LedgerClock {
        LedgerClock(wallTime: { self.state.withLock { $0.wall } }, monotonicTime: { self.state.withLock { $0.monotonic } })
    }
}

/// Plays the OHTTP relay against the public ledger (issue 12, point 5): the relay logs each
/// request's arrival time and ciphertext size (and its answer's), then tries to find each request's
/// public entry and to link one device's requests.
@Suite("The public ledger gives a relay nothing to match or link")
struct RelayPrivacyTests {
    /// What a relay sees of one exchange.
    struct Observation: Sendable {
        let time: Date
        let requestBytes: Int
        let responseBytes: Int
        /// The truth, known to the test only (from the device's receipt).
        let commitment: String
        let receipt: DeletionReceipt
    }

    static let period: Double = 10

    @Test("24 requests of varied sizes at varied times: every observation fits every entry of its period, and no entry ties two requests together",
          .timeLimit(.minutes(10)))
    func relayCannotMatchOrLink() async throws {
        let clock = TestLedgerClock(Date(timeIntervalSince1970: 1_790_000_000))
        let harness = WorkerHarness(configure: {
            $0.ledger.clock = clock.ledgerClock
            $0.ledger.checkpointIntervalSeconds = Self.period
        })
        try await harness.run { session in
            let config = try await session.x25519Config()
            let verifier = try NoteVerifier(verifierKey: String(decoding: try await Self.get(session.baseURL, "/ledger/key").1, as: UTF8.self))
            let jpeg = TestPhotos.portraitJPEG
            // Five sizes, analysed or refused after decryption: every one leaves a record.
            let photos = [TestPhotos.portrait, jpeg, TestPhotos.faceless, Data(jpeg.prefix(jpeg.count / 3)), Data("%PDF-1.7 not a photo".utf8)]
            // Gaps from 0.3 to 2.6 s: the 24 requests span four 10-second periods.
            var generator = SeededGenerator(seed: 12)
            var observations: [Observation] = []
            for index in 0..<24 {
                clock.advance(seconds: 0.3 + Double(generator.next() % 24) / 10)
                let photo = photos[index % photos.count]
                let (envelope, context) = try OHTTPClient(keyConfig: config).encapsulate(session.innerRequest(photo: photo))
                let time = clock.now
                var request = URLRequest(url: session.baseURL.appendingPathComponent(".well-known/ohttp-gateway"))
                request.httpMethod = "POST"
                request.setValue("message/ohttp-req", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(envelope)
                let (body, response) = try await URLSession.shared.data(for: request)
                let http = try #require(response as? HTTPURLResponse)
                #expect(http.statusCode == 200)
                let header = try #require(http.value(forHTTPHeaderField: ReceiptHeader.name))
                let key = context.exportSecret(label: ReceiptEnvelope.receiptLabel, length: ReceiptEnvelope.keyByteCount)
                let receipt = try DeletionReceipt.open(try ReceiptEnvelope.open(header, key: key), verifier: verifier)
                observations.append(Observation(time: time, requestBytes: envelope.count, responseBytes: body.count, commitment: receipt.commitment, receipt: receipt))
            }
            #expect(Set(observations.map(\.requestBytes)).count == photos.count)
            // The last period ends; the worker publishes it.
            clock.advance(seconds: Self.period)
            let entries = try await Self.publishedLog(session.baseURL, covering: observations)
            let wipes = entries.compactMap { entry -> (Int, WipeCommitment)? in
                if case .wipe(let wipe) = entry.1 { (entry.0, wipe) } else { nil }
            }
            #expect(wipes.count == 24)

            // 1. Matching. The relay's best evidence is the time: an entry can stand for an
            // observation only if its period contains the observation's time. Sizes: the public
            // entries carry none. Every observation must fit every entry of its period.
            func periodStart(_ date: Date) -> String {
                LedgerTime.timestamp(LedgerTime.periodStart(LedgerTime.milliseconds(date), length: Int64(Self.period * 1000)))
            }
            var perPeriod: [String: Int] = [:]
            for observation in observations { perPeriod[periodStart(observation.time), default: 0] += 1 }
            #expect(perPeriod.count >= 3 && perPeriod.values.allSatisfy { $0 >= 2 }, "\(perPeriod)")
            for observation in observations {
                let compatible = wipes.filter { $0.1.period == periodStart(observation.time) }
                #expect(compatible.count == perPeriod[periodStart(observation.time)])
                #expect(compatible.contains { $0.1.commitment == observation.commitment })
            }
            // …and nothing inside a period tells its entries apart: the same bytes but for the
            // commitment (random to whoever lacks the record's salt) and the place, which follows
            // the commitment, not the arrival.
            for (period, _) in perPeriod {
                let batch = wipes.filter { $0.1.period == period }
                let blanked = Set(batch.map { Self.fields(of: $0.1, without: ["commitment", "sequence"]) })
                #expect(blanked.count == 1, "entries of \(period) differ beyond commitment and place: \(blanked)")
                #expect(batch.map(\.1.commitment) == batch.map(\.1.commitment).sorted())
            }
            let arrivalOrder = observations.map(\.commitment)
            let logOrder = wipes.map(\.1.commitment)
            print("relay: \(observations.count) requests in \(perPeriod.count) periods \(perPeriod.values.sorted()); positions where log order = arrival order: \(zip(arrivalOrder, logOrder).filter { $0 == $1 }.count)")

            // The same criterion on the private records (what the log published before): the time
            // alone singles each request out. So the criterion can fail.
            let records = try session.ledgerEntries()
            for observation in observations {
                let fitting = records.filter { $0.wipedAt == LedgerTime.timestamp(LedgerTime.milliseconds(observation.time)) }
                #expect(fitting.count == 1)
            }

            // 2. Linking: all 24 requests are one device's. No public field ties two entries
            // together: no pseudonym, and no value two entries share beyond the constant ones.
            let publicText = String(decoding: try await Self.get(session.baseURL, "/ledger/entries?start=0&end=\(entries.count)").1, as: UTF8.self)
            for record in records {
                #expect(!publicText.contains(try #require(record.devicePseudonym)))
                #expect(!publicText.contains(record.requestID) && !publicText.contains(record.wipedAt) && !publicText.contains(record.receivedAt))
            }
            #expect(!publicText.contains("device"))
            let constant: Set<String> = ["type", "version", "period", "wipe_verified"]
            for (position, first) in wipes.enumerated() {
                for second in wipes[(position + 1)...] {
                    let shared = Self.sharedValues(first.1, second.1).subtracting(constant)
                    #expect(shared.isEmpty, "entries #\(first.0) and #\(second.0) share \(shared)")
                }
            }

            // 3. The device still proves its own deletion, and the compliance officer still sees,
            // per period, every request's wipe, its bytes by class and the longest lifetime.
            for observation in observations.prefix(3) + observations.suffix(2) {
                let proven = try await session.client.proveInclusion(of: observation.receipt, verifier: verifier, timeout: .seconds(60))
                #expect(wipes.contains { $0.0 == proven.index && $0.1.commitment == observation.commitment })
            }
            let audit = LedgerAuditor.verify(session.ledgerDirectory, verifier: verifier)
            #expect(audit.passed, "\(audit.failures)")
            #expect(audit.recordsChecked == 24)
            let report = LedgerReport.make(directories: [session.ledgerDirectory], verifiers: [verifier], since: nil, until: nil)
            #expect(report.periods.map(\.requests).reduce(0, +) == 24 && report.wipesVerified == 24)
            #expect(Dictionary(grouping: report.periods, by: \.period).mapValues { $0.map(\.requests).reduce(0, +) } == perPeriod)
            var bytes: [String: Int] = [:]
            for record in records { bytes.merge(record.bytesWiped, uniquingKeysWith: +) }
            #expect(report.bytesWipedByClass == bytes)
            #expect(report.lifetimeMaxMicroseconds == records.map(\.plaintextLifetimeMicroseconds).max())
        }
    }

    /// The published log, once every observation's period is in it under a checkpoint.
    static func publishedLog(_ base: URL, covering observations: [Observation]) async throws -> [(Int, LogEntry)] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let (status, note) = try await get(base, "/ledger/checkpoint")
            if status == 200, let size = Int(String(decoding: note, as: UTF8.self).split(separator: "\n")[1]) {
                let (_, lines) = try await get(base, "/ledger/entries?start=0&end=\(size)")
                let entries = try lines.split(separator: 0x0A).enumerated().map { ($0.offset, try LogEntry.decode(Data($0.element))) }
                let published = Set(entries.compactMap { entry -> String? in if case .wipe(let wipe) = entry.1 { wipe.commitment } else { nil } })
                if observations.allSatisfy({ published.contains($0.commitment) }) { return entries }
            }
            guard ContinuousClock.now < deadline else { throw PublicationTimeout() }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The entry's JSON fields other than `excluded`, as canonical text.
    static func fields(of entry: WipeCommitment, without excluded: Set<String>) -> String {
        let object = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(entry))) as? [String: Any] ?? [:]
        return object.filter { !excluded.contains($0.key) }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
    }

    /// The names of the fields whose values two entries share.
    static func sharedValues(_ a: WipeCommitment, _ b: WipeCommitment) -> Set<String> {
        let first = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(a))) as? [String: Any] ?? [:]
        let second = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(b))) as? [String: Any] ?? [:]
        return Set(first.keys.filter { "\(first[$0]!)" == "\(second[$0] ?? "-")" })
    }

    static func get(_ base: URL, _ path: String) async throws -> (Int, Data) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: base.absoluteString + path)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}

/// The worker did not publish the periods within a minute.
struct PublicationTimeout: Error {}

