import Crypto
import Foundation
import LetheMemory

/// The devices allowed to submit photos. Only SHA-256 hashes of their bearer tokens are kept in
/// memory, so a memory dump of the worker does not reveal usable tokens.
public struct DeviceTokens: Sendable {
    /// One entry per distinct token hash (a token given twice keeps its last device).
    private let devices: [(tokenHash: Data, deviceID: String)]

    /// Builds the table from `(deviceID, token)` pairs.
    public init(_ pairs: [(deviceID: String, token: String)]) {
        var table: [Data: String] = [:]
        for pair in pairs { table[DeviceTokens.hash(pair.token)] = pair.deviceID }
        devices = table.map { ($0.key, $0.value) }
    }

    /// Number of known devices.
    public var count: Int { devices.count }

    /// Reads a tokens file: one `device-id token` pair per line; blank lines and `#` comments ignored.
    public static func load(from path: String) throws(LetheError) -> DeviceTokens {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LetheError(.tokensFileUnreadable, "cannot read tokens file \(path)")
        }
        var pairs: [(String, String)] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            guard words.count == 2 else {
                throw LetheError(.tokensFileInvalid, "\(path) line \(number + 1): expected 'device-id token'")
            }
            pairs.append((String(words[0]), String(words[1])))
        }
        return DeviceTokens(pairs)
    }

    /// A single demo device with a fresh random token, for the embedded default configuration.
    public static func demo() -> (tokens: DeviceTokens, deviceID: String, token: String) {
        let token = "demo-" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64URL }
        return (DeviceTokens([("demo-device", token)]), "demo-device", token)
    }

    /// Returns the device id for an `Authorization: Bearer <token>` value.
    func authenticate(authorization: String?) throws(LetheError) -> String {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { throw .missingToken }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { throw .missingToken }
        // Every known hash is compared, each in constant time and without stopping at a match, so
        // the time taken says nothing about how close a guess came to any device's token.
        let presented = DeviceTokens.hash(token)
        var device: String?
        for entry in devices where ConstantTime.equal(entry.tokenHash, presented) { device = entry.deviceID }
        guard let device else { throw .invalidToken }
        return device
    }

    private static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}

extension Data {
    /// Unpadded base64url (RFC 4648 §5).
    var base64URL: String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
