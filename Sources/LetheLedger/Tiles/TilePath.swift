import Foundation
import LetheTransparency

/// A C2SP tlog-tiles resource (https://c2sp.org/tlog-tiles): a hash tile `tile/<L>/<N>[.p/<W>]`
/// or an entry bundle `tile/entries/<N>[.p/<W>]`. Tiles are 8 levels high and 256 hashes wide.
public struct TilePath: Sendable, Equatable {
    /// Hashes (or entries) per full tile.
    public static let width = 256
    /// Tree levels per tile level.
    public static let height = 8

    /// Tile level L, or nil for an entry bundle.
    public var level: Int?
    /// Tile index N.
    public var index: Int
    /// Width W: 256 for a full tile, 1…255 for a partial one.
    public var width: Int

    public init(level: Int?, index: Int, width: Int = TilePath.width) {
        self.level = level
        self.index = index
        self.width = width
    }

    /// The path below the log prefix, e.g. `tile/0/x001/234` or `tile/entries/000.p/7`.
    public var path: String {
        var text = "tile/" + (level.map(String.init) ?? "entries") + "/" + Self.encode(index)
        if width < Self.width { text += ".p/\(width)" }
        return text
    }

    /// `1234067` → `x001/x234/067`: three-digit groups, all but the last prefixed with `x`.
    static func encode(_ index: Int) -> String {
        var groups: [String] = []
        var rest = index
        repeat {
            groups.insert(String(format: "%03d", rest % 1000), at: 0)
            rest /= 1000
        } while rest > 0
        return groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
    }

    /// Parses the components after `tile/`, e.g. `["0", "x001", "234.p", "7"]`. Nil for anything
    /// that is not a tile path, and for an index whose leaves would not fit in an `Int`: the
    /// components come from the network, so every step is checked arithmetic.
    public init?(components: [Substring]) {
        guard components.count >= 2 else { return nil }
        var rest = components.dropFirst()
        if components[0] == "entries" {
            level = nil
        } else {
            guard let level = Self.decimal(components[0], digits: 1...2), level <= 63, String(level) == components[0] else { return nil }
            self.level = level
        }
        width = Self.width
        if rest.count >= 2, rest[rest.endIndex - 2].hasSuffix(".p") {
            // 1…255 without leading zeros (c2sp.org/tlog-tiles: "W is the decimal width").
            guard let w = Self.decimal(rest.last!, digits: 1...3), (1..<Self.width).contains(w), String(w) == rest.last! else { return nil }
            width = w
            rest = rest.dropLast()
            rest[rest.endIndex - 1] = rest.last!.dropLast(2)
        }
        var value = 0
        for (position, group) in rest.enumerated() {
            // All groups but the last are `xNNN`, the last `NNN` (c2sp.org/tlog-tiles).
            let last = position == rest.count - 1
            guard last || group.first == "x", let number = Self.decimal(last ? group : group.dropFirst(), digits: 3...3) else { return nil }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 1000)
            guard !overflow else { return nil }
            let (sum, carry) = shifted.addingReportingOverflow(number)
            guard !carry else { return nil }
            value = sum
        }
        index = value
        guard leafRange != nil else { return nil }
    }

    /// Hashes (at the tile's tree level) or entries `256·N ..< 256·N + W`; nil when that range does
    /// not fit in an `Int` (only a crafted index does that) or the tile is malformed.
    public var leafRange: Range<Int>? {
        guard index >= 0, (1...Self.width).contains(width) else { return nil }
        let (start, overflow) = index.multipliedReportingOverflow(by: Self.width)
        guard !overflow else { return nil }
        let (end, carry) = start.addingReportingOverflow(width)
        guard !carry else { return nil }
        return start..<end
    }

    /// The value of `text` when it is `digits` ASCII decimal digits (no sign, no spaces).
    static func decimal(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.utf8.count) else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))  // at most 3 digits: cannot overflow
        }
        return value
    }
}

extension DeletionLedger {
    /// The bytes of a hash tile: the `width` hashes at tree level 8·L starting at 256·N,
    /// concatenated; or an entry bundle. Nil when the log does not have them (yet, or any more)
    /// or the request cannot fit a log.
    public func tile(_ tile: TilePath) -> Data? {
        (try? tileData(tile)) ?? nil
    }

    /// `tile(_:)`, but an entry bundle that cannot be read from disk throws (`ledger_unwritable`,
    /// whose message names the file: for the operator's log, never for a response).
    public func tileData(_ tile: TilePath) throws -> Data? {
        tile.level == nil ? try entryBundle(tile) : tree.tileHashes(tile)
    }

    /// A full hash tile read straight from its file, without waiting for the ledger's actor (the
    /// write path): full tiles never change once written. Nil for an entry bundle, a partial
    /// tile, or a tile beyond the published tree (a stale file of an older log is never served).
    public nonisolated func storedFullTile(_ tile: TilePath) -> Data? {
        guard let level = tile.level, (0..<TiledMerkleTree.tileLevels).contains(level), tile.width == TilePath.width,
            let range = tile.leafRange
        else { return nil }
        let available = publishedTreeSize.load(ordering: .acquiring) >> (level * TilePath.height)
        guard range.upperBound <= available else { return nil }
        return TileStore.readFullTile(in: directory, level: level, index: tile.index)
    }

    /// An entry bundle: each entry's canonical JSON with a big-endian 16-bit length prefix.
    func entryBundle(_ tile: TilePath) throws -> Data? {
        guard let range = tile.leafRange, range.lowerBound >= removedSize, range.upperBound <= tree.size else { return nil }
        var data = Data()
        for entry in try entryBytes(range) {
            guard entry.count <= Int(UInt16.max) else { return nil }
            data.append(UInt8(entry.count >> 8))
            data.append(UInt8(entry.count & 0xFF))
            data.append(entry)
        }
        return data
    }
}

extension MerkleTree {
    /// The hashes of a hash tile (level L): tree level 8·L, positions `tile.leafRange`,
    /// concatenated; nil for an entry bundle, or when the tree does not have all of them (or they
    /// were removed by retention).
    public func tileHashes(_ tile: TilePath) -> Data? {
        guard let level = tile.level, (0...63).contains(level), let range = tile.leafRange else { return nil }
        let treeLevel = level * TilePath.height
        guard treeLevel < levels.count, range.upperBound <= levels[treeLevel].count else { return nil }
        var data = Data(capacity: range.count * MerkleHash.byteCount)
        for hash in levels[treeLevel][range] {
            guard hash.count == MerkleHash.byteCount else { return nil }
            data.append(hash)
        }
        return data
    }
}
