import Foundation
import LetheLedger
import LetheMemory
import LetheTransparency
import Synchronization

/// A wall clock and a monotonic clock the test moves: together (time passing) or the wall clock
/// alone (a step, as `date -s` or a VM snapshot restore would make).
final class ManualClock: Sendable {
    private let state: Mutex<(wall: Date, monotonic: Duration)>

    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        state = Mutex((start, .seconds(1000)))
    }

    /// Time passes: both clocks move.
    func advance(seconds: Double) {
        state.withLock { $0 = ($0.wall.addingTimeInterval(seconds), $0.monotonic + .milliseconds(Int64(seconds * 1000))) }
    }

    /// The wall clock steps; the monotonic clock does not.
    func stepWall(seconds: Double) {
        state.withLock { $0.wall = $0.wall.addingTimeInterval(seconds) }
    }

    var now: Date { state.withLock { $0.wall } }

    var ledgerClock: LedgerClock {
        LedgerClock(wallTime: { self.state.withLock { $0.wall } }, monotonicTime: { self.state.withLock { $0.monotonic } })
    }
}

/// A ledger directory under /tmp, removed by `remove()`.
struct TemporaryLedger {
    let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-ledger-\(UUID().uuidString)")
    let clock = ManualClock()
    var layout: LedgerLayout { LedgerLayout(directory: directory) }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A configuration on this ledger's manual clock (60-second periods).
    func configuration(_ change: (inout LedgerConfiguration) -> Void = { _ in }) -> LedgerConfiguration {
        var configuration = LedgerConfiguration()
        configuration.clock = clock.ledgerClock
        change(&configuration)
        return configuration
    }

    func open(_ configuration: LedgerConfiguration? = nil) throws -> DeletionLedger {
        try DeletionLedger(directory: directory, configuration: configuration ?? self.configuration())
    }

    static func record(_ number: Int, errorCode: String? = nil, kind: String = "skin") -> DeletionRecord {
        DeletionRecord(
            requestID: String(format: "%032x", number), devicePseudonym: "abcd", kind: kind,
            receivedAt: Date(timeIntervalSince1970: 1_789_999_999), plaintextLifetimeMicroseconds: 1000 * (number % 50 + 1),
            bytesWiped: ["pixels": 30 + number, "request_body": 10], buffersWiped: 2, wipeVerified: true, errorCode: errorCode)
    }

    /// Appends `count` records one second apart and publishes (closing the period) after every
    /// `publishEvery`: batches of `publishEvery` wipe entries and a summary each.
    /// - Returns: the verifier.
    @discardableResult
    func fill(_ count: Int, publishEvery: Int = 4, configuration: LedgerConfiguration? = nil, start: Int = 0) async throws -> NoteVerifier {
        let ledger = try open(configuration)
        for number in start..<(start + count) {
            try await ledger.append(Self.record(number))
            clock.advance(seconds: 1)
            if (number + 1) % publishEvery == 0 { try await ledger.publish(closingOpenPeriod: true) }
        }
        return ledger.signer.verifier
    }

    /// The lines of the log segment starting at `firstIndex`.
    func logLines(_ firstIndex: Int = 0) throws -> [Data] {
        let data = try Data(contentsOf: layout.logFile(firstIndex: firstIndex))
        return data.split(separator: UInt8(ascii: "\n")).map { Data($0) }
    }

    func writeLog(_ lines: [Data], firstIndex: Int = 0) throws {
        try Data(lines.map { $0 + Data([0x0A]) }.joined()).write(to: layout.logFile(firstIndex: firstIndex))
    }

    /// The lines of the records segment starting at `firstIndex`.
    func recordLines(_ firstIndex: Int = 0) throws -> [Data] {
        let data = try Data(contentsOf: layout.segmentFile(firstIndex: firstIndex))
        return data.split(separator: UInt8(ascii: "\n")).map { Data($0) }
    }

    func writeRecords(_ lines: [Data], firstIndex: Int = 0) throws {
        try Data(lines.map { $0 + Data([0x0A]) }.joined()).write(to: layout.segmentFile(firstIndex: firstIndex))
    }
}

/// The error a test expects, named by its documented code among the codes
/// LetheLedger define (equality is by code; another name matches nothing).
func ledgerError(_ code: String) -> LetheError {
    LetheError.expected(code, among: LetheError.Code.ledgerCodes)
}
