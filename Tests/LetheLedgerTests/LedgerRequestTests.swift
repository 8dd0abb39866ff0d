import Foundation
import LetheLedger
import LetheMemory
import LetheTransparency
import Testing

/// The parsers of the public ledger routes at their boundaries: every number comes from an
/// unauthenticated request, so overflow must be a refusal, never a trap (issue 12, point 2).
@Suite("Ledger request parsing")
struct LedgerRequestTests {
    static func parse(_ target: String) throws(LetheError) -> LedgerRequest {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return try LedgerRequest(path: parts[0], query: parts.count == 2 ? parts[1] : nil)
    }

    static func code(_ target: String) -> String? {
        do throws(LetheError) {
            _ = try parse(target)
            return nil
        } catch {
            return error.code.rawValue
        }
    }

    @Test("tile indices whose leaves fit an Int parse; one more, Int.max and anything longer are refused, not trapped")
    func tileIndexBoundaries() throws {
        // 256·N + W must stay within Int.max = 2^63 − 1: a full tile up to N = 2^55 − 2, a partial
        // one up to N = 2^55 − 1 (36 028 797 018 963 967), whose 255th leaf is Int.max − 1.
        let largestFull = try #require(TilePath(components: ["0", "x036", "x028", "x797", "x018", "x963", "966"]))
        #expect(largestFull.index == (1 << 55) - 2)
        #expect(largestFull.leafRange == (Int.max - 511)..<(Int.max - 255))
        #expect(TilePath(components: ["0", "x036", "x028", "x797", "x018", "x963", "967"]) == nil)
        let largestPartial = try #require(TilePath(components: ["0", "x036", "x028", "x797", "x018", "x963", "967.p", "255"]))
        #expect(largestPartial.leafRange == (Int.max - 255)..<Int.max)
        // 2^55: 256·N itself overflows.
        #expect(TilePath(components: ["0", "x036", "x028", "x797", "x018", "x963", "968.p", "1"]) == nil)
        // The path of issue 12 (10^17 · 256 overflows), Int.max itself, Int.max + 1, seven groups of 999.
        #expect(TilePath(components: ["0", "x100", "x000", "x000", "x000", "x000", "000"]) == nil)
        #expect(TilePath(components: ["entries", "x100", "x000", "x000", "x000", "x000", "000"]) == nil)
        #expect(TilePath(components: ["0", "x009", "x223", "x372", "x036", "x854", "x775", "807"]) == nil)
        #expect(TilePath(components: ["0", "x009", "x223", "x372", "x036", "x854", "x775", "808"]) == nil)
        #expect(TilePath(components: ["0"] + Array(repeating: "x999", count: 30) + ["999"]) == nil)
        // A tile built in code with such an index has no range, and the tree has no such tile.
        #expect(TilePath(level: 0, index: 1 << 55).leafRange == nil)
        #expect(TilePath(level: 0, index: -1).leafRange == nil)
        #expect(MerkleTree(leafHashes: [MerkleHash.leaf(Data("x".utf8))]).tileHashes(TilePath(level: 0, index: Int.max, width: 1)) == nil)
    }

    @Test("tile path syntax: levels 0…63, widths 1…255, xNNN groups, no signs or odd digits")
    func tileSyntax() {
        #expect(TilePath(components: ["63", "000"]) == TilePath(level: 63, index: 0))
        #expect(TilePath(components: ["64", "000"]) == nil)
        #expect(TilePath(components: ["00", "000"]) == nil)
        #expect(TilePath(components: ["-1", "000"]) == nil)
        #expect(TilePath(components: ["+1", "000"]) == nil)
        #expect(TilePath(components: ["0", "000.p", "1"])?.width == 1)
        #expect(TilePath(components: ["0", "000.p", "255"])?.width == 255)
        for width in ["0", "256", "007", "+7", "99999999999999999999999"] {
            #expect(TilePath(components: ["0", "000.p", Substring(width)]) == nil, "width \(width)")
        }
        for group in ["-01", "+01", " 01", "0x1", "٠١٢", "01", "0001", ""] {
            #expect(TilePath(components: ["0", Substring(group)]) == nil, "group '\(group)'")
        }
        #expect(TilePath(components: ["0", "001", "002"]) == nil)
        #expect(TilePath(components: ["0", "x001", "x002"]) == nil)
        #expect(TilePath(components: ["0", "x-01", "002"]) == nil)
    }

    @Test("counts: 1 to 20 decimal digits within Int, leading zeros allowed")
    func counts() {
        #expect(LedgerRequest.count("0") == 0)
        #expect(LedgerRequest.count("00000000000000000001") == 1)
        #expect(LedgerRequest.count("9223372036854775807") == Int.max)
        #expect(LedgerRequest.count("09223372036854775807") == Int.max)
        for text in ["9223372036854775808", "18446744073709551616", "99999999999999999999", "000000000000000000001",
                     "", "-1", "+1", " 1", "1 ", "1e3", "0x10", "%31", "١"] {
            #expect(LedgerRequest.count(Substring(text)) == nil, "'\(text)'")
        }
    }

    @Test("each route's request parses", arguments: [
        ("/ledger/checkpoint", LedgerRequest.checkpoint),
        ("/ledger/checkpoints/00000000000000000006", .checkpointOfSize(6)),
        ("/ledger/key", .verifierKey),
        ("/ledger/tile/0/x001/234.p/7", .tile(TilePath(level: 0, index: 1234, width: 7))),
        ("/ledger/tile/entries/000", .tile(TilePath(level: nil, index: 0))),
        ("/ledger/entries?start=0&end=1000", .entries(0..<1000)),
        ("/ledger/entries?end=9223372036854775807&start=9223372036854775806&_=x", .entries(Int.max - 1..<Int.max)),
        ("/ledger/proof/inclusion?index=9223372036854775806&size=9223372036854775807", .inclusionProof(index: Int.max - 1, size: Int.max)),
        ("/ledger/proof/consistency?old=0&new=9223372036854775807", .consistencyProof(oldSize: 0, newSize: Int.max)),
        ("/ledger/period?start=2026-11-22T10:15:00.000Z", .period("2026-11-22T10:15:00.000Z")),
        ("/ledger/period?start=2026-11-22T10:15:00.5Z", .period("2026-11-22T10:15:00.500Z")),
        ("/ledger/period?start=2026-11-22T10%3A15%3a00.000Z", .period("2026-11-22T10:15:00.000Z")),
    ])
    func routes(target: String, expected: LedgerRequest) throws {
        #expect(try Self.parse(target) == expected)
    }

    @Test("malformed numbers and unknown paths are refused with a code", arguments: [
        ("/ledger/tile/0/x100/x000/x000/x000/x000/000", "malformed_ledger_request"),
        ("/ledger/tile/0/x009/x223/x372/x036/x854/x775/808", "malformed_ledger_request"),
        ("/ledger/checkpoints/99999999999999999999", "malformed_ledger_request"),
        ("/ledger/checkpoints/-1", "malformed_ledger_request"),
        ("/ledger/entries?start=9223372036854775807&end=9223372036854775808", "malformed_ledger_request"),
        ("/ledger/entries?start=-1&end=5", "malformed_ledger_request"),
        ("/ledger/entries?start=0&end=1001", "malformed_ledger_request"),
        ("/ledger/entries?start=5&end=5", "malformed_ledger_request"),
        ("/ledger/entries?start=0", "malformed_ledger_request"),
        ("/ledger/entries?start=0&end=1&start=0", "malformed_ledger_request"),
        ("/ledger/proof/inclusion?index=1&size=9223372036854775808", "malformed_ledger_request"),
        ("/ledger/proof/inclusion?index=%31&size=2", "malformed_ledger_request"),
        ("/ledger/proof/consistency?old=-9223372036854775808&new=0", "malformed_ledger_request"),
        ("/ledger/proof/consistency?new=3", "malformed_ledger_request"),
        ("/ledger/period", "malformed_ledger_request"),
        ("/ledger/period?start=yesterday", "malformed_ledger_request"),
        ("/ledger/period?start=99999-01-01T00:00:00.000Z", "malformed_ledger_request"),
        ("/ledger/period?start=2026-11-22T10:15:00.000Z%00", "malformed_ledger_request"),
        ("/ledger/" + String(repeating: "a", count: 600), "malformed_ledger_request"),
        ("/ledger/", "not_found"),
        ("/ledger", "not_found"),
        ("/ledger/keys", "not_found"),
        ("/ledger/checkpoint/1", "not_found"),
        ("/ledger/proof/other?index=1&size=2", "not_found"),
        ("/elsewhere/checkpoint", "not_found"),
    ])
    func refusals(target: String, code: String) {
        #expect(Self.code(target) == code)
    }

    @Test("a refusal's message names no file and quotes at most a sanitised parameter name")
    func refusalMessages() {
        do throws(LetheError) {
            _ = try Self.parse("/ledger/entries?<script>/tmp/x=1&<script>/tmp/x=2")
            Issue.record("a duplicate parameter must be refused")
        } catch {
            #expect(error.code.rawValue == "malformed_ledger_request")
            #expect(!error.message.contains("/tmp") && !error.message.contains("<"))
        }
    }
}
