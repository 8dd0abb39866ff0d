/// The outer HTTP response header that carries a request's signed deletion receipt, sealed to the
/// request's OHTTP context (see `ReceiptEnvelope` in LetheLedger for the sealing). Part of the
/// HTTP contract between the worker, which sets it, and the device client, which reads it; the
/// ledger only seals and opens the value.
public enum ReceiptHeader {
    /// `Lethe-Receipt`.
    public static let name = "Lethe-Receipt"
}
