import Foundation

/// The 7-byte header that starts every encapsulated request and is bound into the HPKE info
/// (RFC 9458 §4.1, §4.3): `key_id(8) || kem_id(16) || kdf_id(16) || aead_id(16)`.
struct OHTTPRequestHeader: Equatable {
    static let byteCount = 7
    /// RFC 9458 §4.3: the media type label that starts the HPKE info.
    static let requestLabel = Array("message/bhttp request".utf8)

    let keyID: UInt8
    let kemID: UInt16
    let suite: OHTTPSymmetricSuite

    init(keyID: UInt8, kemID: UInt16, suite: OHTTPSymmetricSuite) {
        self.keyID = keyID
        self.kemID = kemID
        self.suite = suite
    }

    /// Reads the header from the first 7 bytes, or nil when there are fewer.
    init?(_ reader: inout NetworkByteReader) {
        guard let keyID = reader.readUInt8(), let kemID = reader.readUInt16(),
              let kdfID = reader.readUInt16(), let aeadID = reader.readUInt16() else { return nil }
        self.init(keyID: keyID, kemID: kemID, suite: OHTTPSymmetricSuite(kdfID: kdfID, aeadID: aeadID))
    }

    var encoded: Data {
        var data = Data(capacity: Self.byteCount)
        data.append(keyID)
        data.appendUInt16(kemID)
        data.appendUInt16(suite.kdfID)
        data.appendUInt16(suite.aeadID)
        return data
    }

    /// RFC 9458 §4.3: `info = "message/bhttp request" || 0x00 || hdr`.
    var hpkeInfo: Data {
        var info = Data(Self.requestLabel)
        info.append(0)
        info.append(encoded)
        return info
    }
}
