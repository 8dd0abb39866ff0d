import Crypto
import Foundation
import LetheMemory

/// Turns device ids into keyed pseudonyms (HMAC-SHA256) so that ledger entries can be grouped per
/// device by whoever holds the key, and by nobody else.
public struct DevicePseudonymizer: Sendable {
    private let key: SymmetricKey

    /// Uses the given 256-bit key.
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Reads the key from the configured `file`, which must exist outside the ledger `directory`
    /// and be read-only (as the signing key file, docs/ledger.md §7); without one, from
    /// `directory/pseudonym.key`, creating it (32 random bytes, mode 0600) on first use.
    public static func loadOrCreate(in directory: URL, file: String? = nil) throws -> DevicePseudonymizer {
        let path = file ?? directory.appendingPathComponent(LedgerLayout.pseudonymKeyFileName).path
        if let file {
            guard FileManager.default.fileExists(atPath: file) else {
                throw LetheError(.ledgerKeyInvalid, "pseudonym key file \(file) does not exist")
            }
            try DeletionLedger.checkKeyFilePlacement(file, ledgerDirectory: directory, name: "the pseudonym key file")
        }
        if let existing = FileManager.default.contents(atPath: path) {
            guard existing.count == 32 else {
                throw LetheError(.ledgerKeyInvalid, "\(path) must hold exactly 32 bytes")
            }
            return DevicePseudonymizer(key: SymmetricKey(data: existing))
        }
        let key = SymmetricKey(size: .bits256)
        try key.withUnsafeBytes { bytes in
            try LedgerFile.writeNew(Data(bytes), to: path)
        }
        return DevicePseudonymizer(key: key)
    }

    /// The pseudonym of `deviceID` on the UTC day of `date`: the first 128 bits of
    /// HMAC-SHA256(key, "YYYY-MM-DD" || 0x00 || deviceID), hex.
    ///
    /// The ledger's entries are published, so a pseudonym stable for ever would let anyone link
    /// a device's requests across months. A daily pseudonym still lets the key holder find one
    /// device's deletions (compute the day's pseudonym) while the public can link at most a day.
    public func pseudonym(for deviceID: String, on date: Date) -> String {
        let day = date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day())
        let mac = HMAC<SHA256>.authenticationCode(for: Data((day + "\u{0}" + deviceID).utf8), using: key)
        return mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
