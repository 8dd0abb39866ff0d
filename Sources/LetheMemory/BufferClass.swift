/// What a plaintext buffer holds; the deletion record reports bytes wiped per class.
public enum BufferClass: String, Sendable, Codable, CaseIterable {
    /// The decrypted inner request (BHTTP bytes including the uploaded photo file).
    case requestBody = "request_body"
    /// Decoded pixels in the worker's canonical layout.
    case pixels
    /// Masks, colour planes and other per-pixel intermediates of analysis.
    case intermediate
    /// Simulation renderings: resampled photos, concern masks, overlays, previews and their
    /// encoded (PNG/JPEG/WebP) bytes.
    case rendering
    /// The plaintext response (JSON result and its BHTTP framing) before encryption.
    case response
}
