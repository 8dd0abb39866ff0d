import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway's private key file: JSON
/// `{"format":"lethe-ohttp-keys-v2","keys":[{"key_id":1,"kem":"x25519","private_key":"<base64>",
/// "not_before":"2026-11-22T10:00:00Z","accept_until":"2026-11-22T12:00:00Z"}]}`
/// where `private_key` is the raw X25519 scalar or the X-Wing seed (32 bytes each), and the two
/// optional RFC 3339 times schedule the key (`OHTTPScheduledKey`). Version 1
/// (`lethe-ohttp-keys-v1`, no times) is still read, and written when no key has a schedule, so
/// that workers which do not know schedules keep reading unscheduled files.
///
/// Errors are `LetheError`s: `key_file_error` (I/O, JSON, wrong format, duplicate or
/// out-of-range key id, bad time) or `invalid_private_key`.
public enum OHTTPKeyFile {
    /// The value of the `format` member this version writes when a key carries a schedule.
    public static let format = "lethe-ohttp-keys-v2"
    /// The first version: keys without schedules. Read, and written for unscheduled keys.
    public static let formatV1 = "lethe-ohttp-keys-v1"

    private struct Contents: Codable {
        var format: String
        var keys: [Entry]
    }

    private struct Entry: Codable {
        var keyID: Int
        var kem: OHTTPKEM
        var privateKey: String
        var notBefore: String?
        var acceptUntil: String?

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id"
            case kem
            case privateKey = "private_key"
            case notBefore = "not_before"
            case acceptUntil = "accept_until"
        }
    }

    /// Reads every key from the file at `path`, ignoring schedules.
    public static func read(from path: String) throws -> [OHTTPPrivateKey] {
        try readScheduled(from: path).map(\.key)
    }

    /// Reads every key and its schedule from the file at `path`; the raw bytes read are wiped
    /// afterwards.
    public static func readScheduled(from path: String) throws -> [OHTTPScheduledKey] {
        var bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LetheError.keyFile("cannot read key file \(path)")
        }
        defer { bytes.wipeInPlace() }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: bytes)
        } catch {
            throw LetheError.keyFile("key file \(path) is not valid \(format) JSON")
        }
        guard contents.format == format || contents.format == formatV1 else {
            throw LetheError.keyFile("key file \(path) has format \"\(contents.format)\", expected \"\(format)\" or \"\(formatV1)\"")
        }
        var seen = Set<Int>()
        var keys: [OHTTPScheduledKey] = []
        for entry in contents.keys {
            guard (0...255).contains(entry.keyID) else {
                throw LetheError.keyFile("key id \(entry.keyID) in \(path) is outside 0...255")
            }
            guard seen.insert(entry.keyID).inserted else {
                throw LetheError.keyFile("key id \(entry.keyID) appears twice in \(path)")
            }
            if contents.format == formatV1, entry.notBefore != nil || entry.acceptUntil != nil {
                throw LetheError.keyFile("key id \(entry.keyID) in \(path): not_before/accept_until need format \(format)")
            }
            let notBefore = try entry.notBefore.map { try time($0, field: "not_before", keyID: entry.keyID, path: path) }
            let acceptUntil = try entry.acceptUntil.map { try time($0, field: "accept_until", keyID: entry.keyID, path: path) }
            if let notBefore, let acceptUntil, acceptUntil <= notBefore {
                throw LetheError.keyFile("key id \(entry.keyID) in \(path): accept_until is not after not_before")
            }
            guard var raw = Data(base64Encoded: entry.privateKey) else {
                throw LetheError.invalidPrivateKey("private key for key id \(entry.keyID) is not base64")
            }
            defer { raw.wipeInPlace() }
            let key = try OHTTPPrivateKey(keyID: UInt8(entry.keyID), kem: entry.kem, rawPrivateKey: raw)
            keys.append(OHTTPScheduledKey(key, notBefore: notBefore, acceptUntil: acceptUntil))
        }
        return keys
    }

    /// RFC 3339 UTC time as written in key files, e.g. `2026-11-22T10:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    private static func time(_ text: String, field: String, keyID: Int, path: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        if let date = formatter.date(from: text) { return date }
        throw LetheError.keyFile("key id \(keyID) in \(path): \(field) \"\(text)\" is not an RFC 3339 time such as 2026-11-22T10:00:00Z")
    }

    /// Writes unscheduled `keys` to `path` (format v1); see `write(scheduled:to:)`.
    public static func write(_ keys: [OHTTPPrivateKey], to path: String) throws {
        try write(scheduled: keys.map { OHTTPScheduledKey($0) }, to: path)
    }

    /// Writes `keys` to `path` with mode 0600: the JSON goes to a new file in the same folder
    /// created by `open(..., O_CREAT | O_EXCL, 0600)` (never readable by others, not even
    /// briefly), is synced, and is renamed over `path`, so that a worker reloading the file sees
    /// either the old or the new keys, never half of them. Format v2 when any key has a
    /// schedule, else v1.
    public static func write(scheduled keys: [OHTTPScheduledKey], to path: String) throws {
        let scheduled = keys.contains { $0.notBefore != nil || $0.acceptUntil != nil }
        let contents = Contents(format: scheduled ? format : formatV1, keys: keys.map { entry in
            var raw = entry.key.rawPrivateKey
            defer { raw.wipeInPlace() }
            return Entry(
                keyID: Int(entry.key.keyID), kem: entry.key.kem, privateKey: raw.base64EncodedString(),
                notBefore: entry.notBefore.map(timestamp), acceptUntil: entry.acceptUntil.map(timestamp))
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json: Data
        do {
            json = try encoder.encode(contents)
        } catch {
            throw LetheError.keyFile("cannot encode the key file")
        }
        json.append(0x0A)
        defer { json.wipeInPlace() }

        let temporaryPath = path + ".tmp-\(UInt32.random(in: .min ... .max))"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LetheError.keyFile("cannot create \(temporaryPath) (errno \(errno))")
        }
        var written = 0
        let writeSucceeded = json.withUnsafeBytes { bytes -> Bool in
            while written < bytes.count {
                let result = systemWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += result
            }
            return true
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard writeSucceeded, synced else {
            unlink(temporaryPath)
            throw LetheError.keyFile("cannot write \(temporaryPath)")
        }
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw LetheError.keyFile("cannot rename the key file into \(path) (errno \(code))")
        }
        // The rename lives in the folder's own data: until the folder is synced, a crash can bring
        // back the old file (keys the workers already dropped) or lose a newly generated one.
        try syncDirectory(containing: path)
    }

    /// fsyncs the directory holding `path`, so that a rename or a new entry in it is durable.
    static func syncDirectory(containing path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LetheError.keyFile("cannot open the folder of \(path) to sync it (errno \(errno))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw LetheError.keyFile("cannot sync the folder of \(path) (errno \(errno))") }
    }
}

/// `write(2)`, named apart from `OHTTPKeyFile.write` so that the static method does not shadow it.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
    #else
    Darwin.write(descriptor, buffer, count)
    #endif
}
