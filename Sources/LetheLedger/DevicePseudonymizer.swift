import Crypto
import Foundation

/// Turns device ids into keyed pseudonyms (HMAC-SHA256) so that ledger entries can be grouped per
/// device by whoever holds the key, and by nobody else.
public struct DevicePseudonymizer: Sendable {
    private let key: SymmetricKey

    /// Uses the given 256-bit key.
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Reads the key from `directory/pseudonym.key`, creating it (32 random bytes, mode 0600) on first use.
    public static func loadOrCreate(in directory: URL) throws -> DevicePseudonymizer {
        let path = directory.appendingPathComponent("pseudonym.key").path
        if let existing = FileManager.default.contents(atPath: path) {
            guard existing.count == 32 else {
                throw LedgerError(code: "ledger_key_invalid", message: "\(path) must hold exactly 32 bytes")
            }
            return DevicePseudonymizer(key: SymmetricKey(data: existing))
        }
        let key = SymmetricKey(size: .bits256)
        try key.withUnsafeBytes { bytes in
            try LedgerFile.writeNew(Data(bytes), to: path)
        }
        return DevicePseudonymizer(key: key)
    }

    /// The pseudonym of `deviceID`: the first 128 bits of HMAC-SHA256(key, deviceID), hex.
    public func pseudonym(for deviceID: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(deviceID.utf8), using: key)
        return mac.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
