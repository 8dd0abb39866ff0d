import LetheMemory

extension LetheError.Code {
    // The envelope a device sent (RFC 9458 §5.2, §5.3).
    /// The envelope names a key id the worker does not have (or no longer accepts).
    public static let unknownKeyID = Self("unknown_key_id", .malformed)
    /// The KEM/KDF/AEAD combination is not offered.
    public static let unsupportedSuite = Self("unsupported_suite", .malformed)
    /// The OHTTP request header is truncated or malformed.
    public static let malformedEnvelope = Self("malformed_envelope", .malformed)
    /// HPKE could not open the request: tampered, truncated or for another key.
    public static let decryptionFailed = Self("decryption_failed", .malformed)
    /// The decrypted message is not valid Binary HTTP (RFC 9292).
    public static let malformedBinaryHTTP = Self("malformed_bhttp", .malformed)
    /// The response could not be encrypted.
    public static let responseEncryptionFailed = Self("response_encryption_failed", .internal)

    // The inner request's `Date` (RFC 9458 §6.5.1, `RequestFreshness`): the gateway checks it, a
    // client corrects its clock by the answer to `request_stale` (§6.5.2).
    /// The inner request has no usable `Date` field.
    public static let dateRequired = Self("date_required", .malformed)
    /// The inner request's `Date` is outside the freshness window.
    public static let requestStale = Self("request_stale", .malformed)

    // What a client meets (RFC 9540 key configurations, encapsulated responses).
    /// A key configuration list that does not follow RFC 9458 §3.
    public static let malformedKeyConfig = Self("malformed_key_config", .malformed)
    /// An encapsulated response too short to hold its nonce and tag.
    public static let malformedResponse = Self("malformed_response", .malformed)
    /// The encapsulated response does not open with this request's context.
    public static let responseDecryptionFailed = Self("response_decryption_failed", .malformed)
    /// HPKE could not encapsulate the request to the key configuration.
    public static let encapsulationFailed = Self("encapsulation_failed", .internal)

    // The worker's own keys (start-up and key reloads).
    /// A private key's bytes are not a key of its KEM.
    public static let invalidPrivateKey = Self("invalid_private_key", .internal)
    /// A key file or directory cannot be read, written or understood.
    public static let keyFileError = Self("key_file_error", .internal)

    /// Every code `LetheEnvelope` raises (it also passes on `LetheMemory`'s).
    public static let envelopeCodes: [Self] = [
        .unknownKeyID, .unsupportedSuite, .malformedEnvelope, .decryptionFailed, .malformedBinaryHTTP, .responseEncryptionFailed,
        .dateRequired, .requestStale, .malformedKeyConfig, .malformedResponse, .responseDecryptionFailed, .encapsulationFailed,
        .invalidPrivateKey, .keyFileError,
    ]
}

/// Messages never contain payload bytes; key-file messages name the operator's files.
extension LetheError {
    static let dateRequired = LetheError(
        .dateRequired, "the inner request needs a Date field (an HTTP-date, RFC 9110 §5.6.7) for replay protection")

    static func requestStale(offsetSeconds: Double, windowSeconds: Double) -> LetheError {
        let direction = offsetSeconds < 0 ? "behind" : "ahead of"
        return LetheError(
            .requestStale,
            "the request's Date is \(Int(abs(offsetSeconds).rounded())) s \(direction) the gateway's clock, outside the ±\(Int(windowSeconds)) s window; correct the clock by the response's Date and retry once")
    }

    static func unknownKeyID(_ keyID: UInt8) -> LetheError {
        LetheError(.unknownKeyID, "no key with key id \(keyID)")
    }

    static func unsupportedSuite(_ detail: String) -> LetheError {
        LetheError(.unsupportedSuite, detail)
    }

    static func malformedEnvelope(_ detail: String) -> LetheError {
        LetheError(.malformedEnvelope, detail)
    }

    static let decryptionFailed = LetheError(
        .decryptionFailed, "the encapsulated request could not be decrypted (tampered, truncated or for another key)")

    static func malformedBinaryHTTP(_ detail: String) -> LetheError {
        LetheError(.malformedBinaryHTTP, detail)
    }

    static let responseEncryptionFailed = LetheError(.responseEncryptionFailed, "the response could not be encrypted")

    static func malformedKeyConfig(_ detail: String) -> LetheError {
        LetheError(.malformedKeyConfig, detail)
    }

    static func malformedResponse(_ detail: String) -> LetheError {
        LetheError(.malformedResponse, detail)
    }

    static let responseDecryptionFailed = LetheError(
        .responseDecryptionFailed, "the encapsulated response could not be decrypted (tampered or for another request)")

    static let encapsulationFailed = LetheError(.encapsulationFailed, "HPKE could not encapsulate the request")

    static func invalidPrivateKey(_ detail: String) -> LetheError {
        LetheError(.invalidPrivateKey, detail)
    }

    static func keyFile(_ detail: String) -> LetheError {
        LetheError(.keyFileError, detail)
    }
}
