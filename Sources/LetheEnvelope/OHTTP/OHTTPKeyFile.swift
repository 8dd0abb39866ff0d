import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway's private key file: JSON
/// `{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"x25519","private_key":"<base64>"}]}`
/// where `private_key` is the raw X25519 scalar or the X-Wing seed (32 bytes each).
///
/// Errors are `EnvelopeError`s: `key_file_error` (I/O, JSON, wrong format, duplicate or
/// out-of-range key id) or `invalid_private_key`.
public enum OHTTPKeyFile {
    /// The value of the `format` member this version reads and writes.
    public static let format = "lethe-ohttp-keys-v1"

    private struct Contents: Codable {
        var format: String
        var keys: [Entry]
    }

    private struct Entry: Codable {
        var keyID: Int
        var kem: OHTTPKEM
        var privateKey: String

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id"
            case kem
            case privateKey = "private_key"
        }
    }

    /// Reads every key from the file at `path`; the raw bytes read are wiped afterwards.
    public static func read(from path: String) throws -> [OHTTPPrivateKey] {
        var bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EnvelopeError.keyFile("cannot read key file \(path)")
        }
        defer { bytes.wipeInPlace() }
        let contents: Contents
        do {
            contents = try JSONDecoder().decode(Contents.self, from: bytes)
        } catch {
            throw EnvelopeError.keyFile("key file \(path) is not valid \(format) JSON")
        }
        guard contents.format == format else {
            throw EnvelopeError.keyFile("key file \(path) has format \"\(contents.format)\", expected \"\(format)\"")
        }
        var seen = Set<Int>()
        var keys: [OHTTPPrivateKey] = []
        for entry in contents.keys {
            guard (0...255).contains(entry.keyID) else {
                throw EnvelopeError.keyFile("key id \(entry.keyID) in \(path) is outside 0...255")
            }
            guard seen.insert(entry.keyID).inserted else {
                throw EnvelopeError.keyFile("key id \(entry.keyID) appears twice in \(path)")
            }
            guard var raw = Data(base64Encoded: entry.privateKey) else {
                throw EnvelopeError.invalidPrivateKey("private key for key id \(entry.keyID) is not base64")
            }
            defer { raw.wipeInPlace() }
            keys.append(try OHTTPPrivateKey(keyID: UInt8(entry.keyID), kem: entry.kem, rawPrivateKey: raw))
        }
        return keys
    }

    /// Writes `keys` to `path` with mode 0600: the JSON goes to a new file in the same folder
    /// created by `open(..., O_CREAT | O_EXCL, 0600)` (never readable by others, not even
    /// briefly), is synced, and is renamed over `path`.
    public static func write(_ keys: [OHTTPPrivateKey], to path: String) throws {
        let contents = Contents(format: format, keys: keys.map { key in
            var raw = key.rawPrivateKey
            defer { raw.wipeInPlace() }
            return Entry(keyID: Int(key.keyID), kem: key.kem, privateKey: raw.base64EncodedString())
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json: Data
        do {
            json = try encoder.encode(contents)
        } catch {
            throw EnvelopeError.keyFile("cannot encode the key file")
        }
        json.append(0x0A)
        defer { json.wipeInPlace() }

        let temporaryPath = path + ".tmp-\(UInt32.random(in: .min ... .max))"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EnvelopeError.keyFile("cannot create \(temporaryPath) (errno \(errno))")
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
            throw EnvelopeError.keyFile("cannot write \(temporaryPath)")
        }
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw EnvelopeError.keyFile("cannot rename the key file into \(path) (errno \(code))")
        }
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
