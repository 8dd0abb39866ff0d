import LetheMemory
import LetheTransparency
/// A request for the published log, parsed from the request target as it came off the network
/// (raw path under `/ledger/`, raw query): what `LedgerRoutes` serves and `Fuzz/public-routes`
/// fuzzes. Every number in it is ASCII decimal, parsed with checked arithmetic; a request that
/// does not parse is `malformed_ledger_request`, a path that names no resource `not_found`.
///
/// | path | request |
/// | --- | --- |
/// | `/ledger/checkpoint` | `.checkpoint` |
/// | `/ledger/checkpoints/<size>` | `.checkpointOfSize` |
/// | `/ledger/key` | `.verifierKey` |
/// | `/ledger/tile/<L>/<N>[.p/<W>]`, `/ledger/tile/entries/<N>[.p/<W>]` | `.tile` (c2sp.org/tlog-tiles) |
/// | `/ledger/entries?start=S&end=E` | `.entries(S..<E)`, at most `maxEntries` |
/// | `/ledger/proof/inclusion?index=I&size=N` | `.inclusionProof` (RFC 9162 §2.1.3) |
/// | `/ledger/proof/consistency?old=M&new=N` | `.consistencyProof` (RFC 9162 §2.1.4) |
/// | `/ledger/period?start=T` | `.period(T)`: the published batches of the period starting at T (RFC 3339, as in a receipt) |
/// | `/ledger/ohttp-keys` | `.ohttpKeys`: the accepted OHTTP key configurations with their inclusion proofs (`KeyConfigProofDocument`) |
public enum LedgerRequest: Sendable, Equatable {
    case checkpoint
    case checkpointOfSize(Int)
    case verifierKey
    case tile(TilePath)
    case entries(Range<Int>)
    case inclusionProof(index: Int, size: Int)
    case consistencyProof(oldSize: Int, newSize: Int)
    /// A period start, written as the ledger writes it (`LedgerTime.timestamp`).
    case period(String)
    case ohttpKeys

    /// Path prefix of every ledger resource.
    public static let prefix = "/ledger/"
    /// Most entries one `/ledger/entries` request returns.
    public static let maxEntries = 1000
    /// Longest accepted request target part (path or query), in bytes: a tile path of an index
    /// near `Int.max` is under 60.
    public static let maxTargetBytes = 512

    /// Parses a raw path (starting with `/ledger/`) and the raw query after `?`, if any.
    /// - Throws: `not_found` for a path that names no ledger resource, `malformed_ledger_request`
    ///   for a resource whose numbers are missing, not decimal, negative, out of range or too large.
    public init(path: Substring, query: Substring?) throws(LetheError) {
        guard path.utf8.count <= Self.maxTargetBytes, (query?.utf8.count ?? 0) <= Self.maxTargetBytes else {
            throw .malformedLedgerRequest("the request target is longer than \(Self.maxTargetBytes) bytes")
        }
        guard path.hasPrefix(Self.prefix) else { throw .ledgerResourceNotFound }
        let components = path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        let parameters = try Self.parameters(query)
        switch (components[0], components.count) {
        case ("checkpoint", 1):
            self = .checkpoint
        case ("key", 1):
            self = .verifierKey
        case ("ohttp-keys", 1):
            self = .ohttpKeys
        case ("checkpoints", 2):
            // Checkpoint files are named with 20 zero-padded digits; both forms are accepted.
            guard let size = Self.count(components[1]) else {
                throw .malformedLedgerRequest("a checkpoint size is 1 to 20 decimal digits within 0…\(Int.max)")
            }
            self = .checkpointOfSize(size)
        case ("tile", _):
            guard let tile = TilePath(components: Array(components.dropFirst())) else {
                throw .malformedLedgerRequest("not a tile path (c2sp.org/tlog-tiles): tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], with 256·N + W within 2^63 − 1")
            }
            self = .tile(tile)
        case ("entries", 1):
            let start = try Self.required("start", in: parameters)
            let end = try Self.required("end", in: parameters)
            // end > start ≥ 0, so end − start cannot overflow.
            guard end > start, end - start <= Self.maxEntries else {
                throw .malformedLedgerRequest("end must be above start and at most \(Self.maxEntries) beyond it")
            }
            self = .entries(start..<end)
        case ("proof", 2) where components[1] == "inclusion":
            self = .inclusionProof(index: try Self.required("index", in: parameters), size: try Self.required("size", in: parameters))
        case ("period", 1):
            // An RFC 3339 time, canonicalised to the ledger's spelling. Its ':' needs no escape in a
            // query, but a client that escapes it anyway (`%3A`) is understood.
            guard let raw = parameters["start"], raw.utf8.count <= 64 else {
                throw .malformedLedgerRequest("query parameter start must be an RFC 3339 time such as 2026-11-22T10:15:00.000Z")
            }
            let text = raw.replacingOccurrences(of: "%3A", with: ":").replacingOccurrences(of: "%3a", with: ":")
            guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), let milliseconds = LedgerTime.milliseconds(text)
            else {
                throw .malformedLedgerRequest("query parameter start must be an RFC 3339 time such as 2026-11-22T10:15:00.000Z")
            }
            self = .period(LedgerTime.timestamp(milliseconds))
        case ("proof", 2) where components[1] == "consistency":
            self = .consistencyProof(oldSize: try Self.required("old", in: parameters), newSize: try Self.required("new", in: parameters))
        default:
            throw .ledgerResourceNotFound
        }
    }

    /// A non-negative count or index: 1 to 20 ASCII decimal digits (leading zeros allowed) whose
    /// value fits an `Int`; nil for anything else (signs, spaces, `%`-escapes, overflow).
    public static func count(_ text: Substring) -> Int? {
        guard (1...20).contains(text.utf8.count) else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// The raw query's `name=value` pairs. Unknown names are ignored (caches add their own);
    /// a name given twice is refused, since which one counts would be a guess.
    static func parameters(_ query: Substring?) throws(LetheError) -> [Substring: Substring] {
        var parameters: [Substring: Substring] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            guard parameters[name] == nil else { throw .malformedLedgerRequest("query parameter \(Self.shown(name)) is given twice") }
            parameters[name] = parts.count == 2 ? parts[1] : ""
        }
        return parameters
    }

    /// The count named `name`, which the request must carry.
    static func required(_ name: String, in parameters: [Substring: Substring]) throws(LetheError) -> Int {
        guard let text = parameters[Substring(name)] else { throw .malformedLedgerRequest("query parameter \(name) is required") }
        guard let value = count(text) else {
            throw .malformedLedgerRequest("query parameter \(name) must be 1 to 20 decimal digits within 0…\(Int.max)")
        }
        return value
    }

    /// A parameter name for a message: at most 16 characters of letters, digits and `_`.
    static func shown(_ name: Substring) -> String {
        let safe = name.prefix(16).filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        return safe.isEmpty ? "(unnamed)" : String(safe)
    }
}
