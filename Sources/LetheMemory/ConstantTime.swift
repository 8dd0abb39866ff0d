/// Comparison of secrets (tokens, their digests, MACs) whose running time does not depend on
/// where the operands differ: no early exit and no branch on the bytes, so a client timing its
/// refusals learns nothing about how much of a guess was right.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. The time depends on the lengths only; compare
    /// fixed-length digests (SHA-256 of each side) when the length of a secret must not leak.
    public static func equal<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
