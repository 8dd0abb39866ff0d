import Foundation
import LetheLedger
import LetheMemory

/// A ledger directory under /tmp (TMPDIR may point nowhere in the worker's tests).
struct TemporaryLedger {
    let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-ledger-\(UUID().uuidString)")
    var layout: LedgerLayout { LedgerLayout(directory: directory) }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    static func record(_ number: Int, wipedAt: Date = Date(timeIntervalSince1970: 1_790_000_000), errorCode: String? = nil) -> DeletionRecord {
        DeletionRecord(
            requestID: String(format: "%032x", number), devicePseudonym: "abcd", kind: "skin",
            receivedAt: wipedAt.addingTimeInterval(-0.25), wipedAt: wipedAt,
            plaintextLifetimeMicroseconds: 1000 * (number % 50 + 1), bytesWiped: ["pixels": 30 + number, "request_body": 10],
            buffersWiped: 2, wipeVerified: true, errorCode: errorCode)
    }

    /// Opens the ledger, appends `count` entries (one second apart) with a checkpoint after every
    /// `checkpointEvery`, and returns the verifier.
    @discardableResult
    func fill(_ count: Int, checkpointEvery: Int = 4, configuration: LedgerConfiguration = .init(), start: Int = 0) async throws -> NoteVerifier {
        let ledger = try DeletionLedger(directory: directory, configuration: configuration)
        for number in start..<(start + count) {
            try await ledger.append(Self.record(number, wipedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(number))))
            if (number + 1) % checkpointEvery == 0 { try await ledger.writeCheckpoint() }
        }
        return ledger.signer.verifier
    }

    func segmentLines(_ firstIndex: Int = 0) throws -> [Data] {
        let data = try Data(contentsOf: layout.segmentFile(firstIndex: firstIndex))
        return data.split(separator: UInt8(ascii: "\n")).map { Data($0) }
    }

    func writeSegment(_ lines: [Data], firstIndex: Int = 0) throws {
        try Data(lines.map { $0 + Data([0x0A]) }.joined()).write(to: layout.segmentFile(firstIndex: firstIndex))
    }
}

/// The error a test expects, named by its documented code among the codes
/// LetheLedger define (equality is by code; another name matches nothing).
func ledgerError(_ code: String) -> LetheError {
    LetheError.expected(code, among: LetheError.Code.ledgerCodes)
}
