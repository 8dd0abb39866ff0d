import Foundation

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

    /// Parses the components after `tile/`, e.g. `["0", "x001", "234.p", "7"]`.
    public init?(components: [Substring]) {
        guard components.count >= 2 else { return nil }
        var rest = components.dropFirst()
        if components[0] == "entries" {
            level = nil
        } else {
            guard let level = Int(components[0]), (0...63).contains(level), String(level) == components[0] else { return nil }
            self.level = level
        }
        width = Self.width
        if rest.count >= 2, rest[rest.endIndex - 2].hasSuffix(".p") {
            guard let w = Int(rest.last!), (1..<Self.width).contains(w), String(w) == rest.last! else { return nil }
            width = w
            rest = rest.dropLast()
            rest[rest.endIndex - 1] = rest.last!.dropLast(2)
        }
        var value = 0
        for (position, group) in rest.enumerated() {
            let last = position == rest.count - 1
            guard group.count == (last ? 3 : 4), last || group.first == "x",
                let number = Int(last ? group : group.dropFirst()), group.allSatisfy({ $0 == "x" || $0.isASCII && $0.isNumber })
            else { return nil }
            value = value * 1000 + number
        }
        index = value
    }
}

extension DeletionLedger {
    /// The bytes of a hash tile: the `width` hashes at tree level 8·L starting at 256·N,
    /// concatenated; nil when the tree does not have them (yet, or any more).
    public func tile(_ tile: TilePath) -> Data? {
        guard let level = tile.level else { return entryBundle(tile) }
        let treeLevel = level * TilePath.height
        guard treeLevel < tree.levels.count else { return nil }
        let hashes = tree.levels[treeLevel]
        let start = tile.index * TilePath.width
        guard start + tile.width <= hashes.count else { return nil }
        var data = Data(capacity: tile.width * MerkleHash.byteCount)
        for hash in hashes[start..<start + tile.width] {
            guard hash.count == MerkleHash.byteCount else { return nil }
            data.append(hash)
        }
        return data
    }

    /// An entry bundle: each entry's canonical JSON with a big-endian 16-bit length prefix.
    func entryBundle(_ tile: TilePath) -> Data? {
        let start = tile.index * TilePath.width
        guard let entries = try? entryBytes(start..<start + tile.width) else { return nil }
        var data = Data()
        for entry in entries {
            guard entry.count <= Int(UInt16.max) else { return nil }
            data.append(UInt8(entry.count >> 8))
            data.append(UInt8(entry.count & 0xFF))
            data.append(entry)
        }
        return data
    }
}
