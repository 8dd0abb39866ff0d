/// Why an envelope, key config or binary HTTP message was refused.
///
/// Matched on `code`, which is stable; `message` is for people and never contains payload bytes.
/// Two errors are equal when their codes are equal.
///
/// Codes: `unknown_key_id`, `unsupported_suite`, `malformed_envelope`, `decryption_failed`,
/// `malformed_bhttp`, `malformed_key_config`, `malformed_response`, `response_decryption_failed`,
/// `invalid_private_key`, `key_file_error`, and the `LetheMemory` codes
/// (`plaintext_allocation_failed`, `plaintext_arena_closed`) when plaintext memory could not be had.
public struct EnvelopeError: Error, Equatable, CustomStringConvertible {
    /// Stable machine code (snake_case).
    public let code: String
    /// Human explanation, free of payload bytes.
    public let message: String

    /// Creates an error with a stable code and a human message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// Equality by code: the message may change wording between releases.
    public static func == (lhs: EnvelopeError, rhs: EnvelopeError) -> Bool {
        lhs.code == rhs.code
    }
}

extension EnvelopeError {
    static func unknownKeyID(_ keyID: UInt8) -> EnvelopeError {
        EnvelopeError(code: "unknown_key_id", message: "no key with key id \(keyID)")
    }

    static func unsupportedSuite(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "unsupported_suite", message: detail)
    }

    static func malformedEnvelope(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "malformed_envelope", message: detail)
    }

    static let decryptionFailed = EnvelopeError(
        code: "decryption_failed",
        message: "the encapsulated request could not be decrypted (tampered, truncated or for another key)"
    )

    static func malformedBinaryHTTP(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "malformed_bhttp", message: detail)
    }

    static func malformedKeyConfig(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "malformed_key_config", message: detail)
    }

    static func malformedResponse(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "malformed_response", message: detail)
    }

    static let responseDecryptionFailed = EnvelopeError(
        code: "response_decryption_failed",
        message: "the encapsulated response could not be decrypted (tampered or for another request)"
    )

    static func invalidPrivateKey(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "invalid_private_key", message: detail)
    }

    static func keyFile(_ detail: String) -> EnvelopeError {
        EnvelopeError(code: "key_file_error", message: detail)
    }

    /// Carries a plaintext-memory failure through, keeping `LetheMemory`'s stable code.
    static func memory(code: String, message: String) -> EnvelopeError {
        EnvelopeError(code: code, message: message)
    }
}
