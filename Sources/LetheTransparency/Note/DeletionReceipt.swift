import Foundation
import LetheMemory

/// A per-request receipt: the ledger's signed statement that this request's record is durably
/// kept and that its commitment will be published in the log batch of `period`. A C2SP signed
/// note by the ledger key whose text is
///
/// ```
/// lethe.receipt/v2
/// origin <origin>
/// period <period start> <period end>
/// commitment <hex SHA-256 commitment>
/// record <base64 of the record's canonical JSON>
/// ```
/// (its second line is not a number, so it can never be read as a checkpoint). The record opens the
/// commitment: `commitment = hex(SHA-256("lethe.commitment/v2\n" || record))`. The receipt travels
/// encrypted to the request's OHTTP context, so only the device can tie the public commitment to
/// its request; like a Certificate Transparency SCT (RFC 6962 §3) it is a promise to publish by
/// the end of the period, which the device then checks (`LetheClient.proveInclusion`).
public struct DeletionReceipt: Sendable, Equatable {
    public static let header = "lethe.receipt/v2"

    public var origin: String
    /// The publication period (RFC 3339 start and end).
    public var period: String
    public var periodEnd: String
    /// The public commitment to `record`.
    public var commitment: String
    /// The request's private record, as the ledger keeps it.
    public var record: DeletionRecord
    /// Its canonical JSON, which the commitment hashes.
    public var recordJSON: Data

    /// The request's id.
    public var requestID: String { record.requestID }
    /// When the record was durably written, after the wipe.
    public var wipedAt: String { record.wipedAt }
    /// Bytes wiped over all buffer classes.
    public var bytesWiped: Int { record.totalBytesWiped }
    /// Whether every buffer read back as zeros.
    public var wipeVerified: Bool { record.wipeVerified }

    /// The receipt of a record just written (`canonicalJSON` = its exact bytes).
    public init(origin: String, record: DeletionRecord, canonicalJSON: Data) throws {
        guard let period = record.period, let periodEnd = record.periodEnd else {
            throw LetheError(.receiptMalformed, "the record has no publication period")
        }
        self.origin = origin
        self.period = period
        self.periodEnd = periodEnd
        self.commitment = DeletionRecord.commitment(canonicalJSON: canonicalJSON)
        self.record = record
        self.recordJSON = canonicalJSON
    }

    /// The note text.
    public var body: String {
        """
        \(Self.header)
        origin \(origin)
        period \(period) \(periodEnd)
        commitment \(commitment)
        record \(recordJSON.base64EncodedString())

        """
    }

    /// Parses a receipt text and checks that the record opens the commitment and matches the period.
    public init(body: String) throws {
        let lines = body.split(separator: "\n").map(String.init)
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let space = line.firstIndex(of: " ") else { continue }
            fields[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        let periods = fields["period"]?.split(separator: " ").map(String.init) ?? []
        guard lines.first == Self.header, let origin = fields["origin"], periods.count == 2,
            let commitment = fields["commitment"], let recordJSON = fields["record"].flatMap({ Data(base64Encoded: $0) }),
            let record = try? JSONDecoder().decode(DeletionRecord.self, from: recordJSON),
            (try? record.canonicalJSON()) == recordJSON,
            DeletionRecord.commitment(canonicalJSON: recordJSON) == commitment,
            record.period == periods[0], record.periodEnd == periods[1]
        else {
            throw LetheError(.receiptMalformed, "not a \(Self.header) receipt whose record opens its commitment")
        }
        self.origin = origin
        self.period = periods[0]
        self.periodEnd = periods[1]
        self.commitment = commitment
        self.record = record
        self.recordJSON = recordJSON
    }

    /// Signs the receipt as a note.
    public func signed(by signer: NoteSigner) throws -> String {
        try SignedNote.sign(body, with: signer).encoded
    }

    /// Opens a signed receipt note, checking the signature and that it names the key's origin.
    public static func open(_ note: String, verifier: NoteVerifier) throws -> DeletionReceipt {
        let receipt = try DeletionReceipt(body: try SignedNote.open(note, verifier: verifier))
        guard receipt.origin == verifier.name else {
            throw LetheError(.receiptMalformed, "receipt origin '\(receipt.origin)' is not the key's '\(verifier.name)'")
        }
        return receipt
    }

    /// The public log entry this receipt promises, once its place `sequence` in the log is known.
    public func expectedEntry(sequence: Int) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(WipeCommitment(sequence: sequence, period: period, commitment: commitment, wipeVerified: record.wipeVerified))
    }
}
