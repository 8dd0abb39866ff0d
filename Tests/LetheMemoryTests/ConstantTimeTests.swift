import LetheMemory
import Testing

@Suite("Constant-time comparison")
struct ConstantTimeTests {
    @Test("equal only for the same bytes: a difference anywhere, or another length, is unequal")
    func equality() {
        let secret = Array("operator-secret".utf8)
        #expect(ConstantTime.equal(secret, secret))
        #expect(ConstantTime.equal([UInt8](), [UInt8]()))
        for position in secret.indices {
            var guess = secret
            guess[position] ^= 0x01
            #expect(!ConstantTime.equal(guess, secret), "difference at \(position)")
        }
        #expect(!ConstantTime.equal(secret.dropLast(), secret))
        #expect(!ConstantTime.equal(secret + [0], secret))
        #expect(!ConstantTime.equal([UInt8](), secret))
        // Any collections of bytes: an array slice against a contiguous array.
        #expect(ConstantTime.equal(secret[2...], Array(secret.dropFirst(2))))
    }
}
