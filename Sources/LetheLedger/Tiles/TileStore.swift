import Foundation
import LetheTransparency

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The full hash tiles of the log on disk, in the C2SP tlog-tiles layout
/// (`LEDGER_DIR/tile/<L>/<N>`, https://c2sp.org/tlog-tiles): 256 hashes of 32 bytes each, written
/// once when the tile fills and never changed. They are derived data — the log's lines hash to
/// them — so they are written without fsync: at start the tree recomputes every tile from the log
/// and rewrites any that is missing or differs (a crash, a disk error, an edit).
///
/// A few recently read tiles are cached (a proof reads the same top tiles again and again); full
/// tiles are immutable, so the cache is never stale.
final class TileStore {
    /// The ledger directory (tile paths start with `tile/`).
    let directory: URL
    private struct Key: Hashable {
        let level: Int
        let index: Int
    }
    private var cache: [Key: Data] = [:]
    private var cacheOrder: [Key] = []
    private var unwritten: [Key: Data] = [:]
    /// Tiles kept in the cache: 32 × 8 KiB.
    static let cachedTiles = 32
    /// Bytes of a full tile.
    static let fullTileBytes = TilePath.width * MerkleHash.byteCount

    init(directory: URL) {
        self.directory = directory
    }

    /// Where the full tile `level`/`index` lives (static: readable without the ledger's actor).
    static func url(in directory: URL, level: Int, index: Int) -> URL {
        directory.appendingPathComponent(TilePath(level: level, index: index).path)
    }

    /// The full tile `level`/`index` as stored, or nil when it is not on disk (or not whole).
    static func readFullTile(in directory: URL, level: Int, index: Int) -> Data? {
        guard let data = FileManager.default.contents(atPath: url(in: directory, level: level, index: index).path),
            data.count == fullTileBytes
        else { return nil }
        return data
    }

    /// The full tile `level`/`index`, through the cache (or still waiting to be written).
    func read(level: Int, index: Int) -> Data? {
        let key = Key(level: level, index: index)
        if let data = unwritten[key] ?? cache[key] { return data }
        guard let data = Self.readFullTile(in: directory, level: level, index: index) else { return nil }
        if cacheOrder.count >= Self.cachedTiles { cache[cacheOrder.removeFirst()] = nil }
        cache[key] = data
        cacheOrder.append(key)
        return data
    }

    /// Stores a tile that just became full. A tile that cannot be written (a full disk) stays in
    /// memory and is tried again with the next one: the tree stays whole whatever the disk does,
    /// and the log's own writes are what fail the worker (`ledger_unwritable`).
    func put(level: Int, index: Int, hashes: Data) {
        unwritten[Key(level: level, index: index)] = hashes
        for (key, data) in unwritten where (try? write(level: key.level, index: key.index, hashes: data)) != nil {
            unwritten[key] = nil
        }
    }

    /// Tiles that could not be written yet (normally 0).
    var unwrittenCount: Int { unwritten.count }

    /// Writes a full tile, unless an identical file is already there (a restart recomputes every
    /// tile). Temporary file and rename, so a reader never sees half a tile.
    private func write(level: Int, index: Int, hashes: Data) throws {
        let url = Self.url(in: directory, level: level, index: index)
        if Self.readFullTile(in: directory, level: level, index: index) == hashes { return }
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let temporary = folder.appendingPathComponent("." + url.lastPathComponent + ".tmp").path
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LedgerFile.failure("create", temporary) }
        do {
            try LedgerFile.writeAll(hashes, to: descriptor, path: temporary)
            close(descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        guard rename(temporary, url.path) == 0 else { throw LedgerFile.failure("rename", url.path) }
    }
}
