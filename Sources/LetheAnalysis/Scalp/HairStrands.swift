/// Hairs counted along strands (issue 16 point 6): a hair mark is thinned to its skeleton, the
/// skeleton split into branches between its ends and junctions, and at every junction the branches
/// that continue each other in direction are paired (a hair crossing another runs straight through,
/// Steger 1998, IEEE PAMI 20:113, links line points across junctions the same way). A chain of
/// paired branches is one strand, and a strand is one hair, however long, curved or crossed.
/// Branches that end unpaired at one junction are hairs that leave a follicle together. Each
/// strand's width is read from the shortest chords along its own skeleton, so the hairs of one
/// unit (a vellus hair beside a terminal one) and hairs that cross are not given one width.
///
/// Thinning: Zhang & Suen 1984 (CACM 27:236), then one sequential pass that removes the staircase
/// pixels it leaves (a pixel whose neighbours stay 8-connected without it), so that every path
/// pixel of the skeleton has exactly two neighbours.
enum HairStrands {
    /// Rules, in working pixels and the mark's shaft width `w`.
    struct Rules {
        /// Shaft width of the mark (pixels).
        var shaftWidthPixels: Double
        /// A strand shorter than this (pixels) is not a hair.
        var minimumStrandPixels: Double
        /// Two branches continue each other when they bend by at most this much (cosine).
        var pairingMinimumCosine = 0.85
    }

    /// Working memory for every mark of one image: `skeleton` (one byte a pixel, all zero
    /// between marks) and `list` (Int32, twice the pixels), both `.intermediate` arena buffers;
    /// `chord` is the shortest chord of every hair pixel (`ShortestChord`).
    struct Scratch {
        let skeleton: UnsafeMutableBufferPointer<UInt8>
        let list: UnsafeMutableBufferPointer<Int32>
        let chord: UnsafeBufferPointer<Float>
        let width: Int, height: Int
    }

    /// The hairs in the 4-connected mark of `members` grown from `seed`: per strand, the shortest
    /// chords of its skeleton's path pixels (junctions left out). At least one; a mark without a
    /// strand long enough is one hair with an empty histogram (its width is the mark's).
    static func hairs(seed: Int, members: UnsafeBufferPointer<UInt8>, rules: Rules, scratch: Scratch) -> [ChordHistogram] {
        let skeleton = scratch.skeleton, list = scratch.list
        // The mark's pixels, by flood fill: its queue is the pixel list.
        let area = FloodFill.fill(from: [seed], width: scratch.width, height: scratch.height, queue: list) { i in
            guard members[i] != 0, skeleton[i] == 0 else { return false }
            skeleton[i] = 1
            return true
        }
        guard area > 0 else { return [ChordHistogram()] }
        var pixels = thin(count: area, scratch: scratch)
        defer { for k in 0..<pixels { skeleton[Int(list[k])] = 0 } }
        pixels = removeStaircases(count: pixels, scratch: scratch)
        let graph = SkeletonGraph.trace(count: pixels, scratch: scratch, rules: rules)
        let strands = graph.strands(rules: rules)
        return strands.isEmpty ? [ChordHistogram()] : strands
    }

    // MARK: - Neighbourhoods

    /// Ring order of the 8 neighbours: N, NE, E, SE, S, SW, W, NW (bit k of a ring mask).
    static let ring: [(dx: Int, dy: Int)] = [(0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1)]

    /// 0→1 transitions around the ring (Zhang–Suen's A).
    static let transitions: [UInt8] = (0..<256).map { mask in
        UInt8((0..<8).filter { mask & (1 << $0) == 0 && mask & (1 << (($0 + 1) % 8)) != 0 }.count)
    }

    /// 8-connected groups among the neighbours: a corner between two set edge neighbours joins them.
    static let groups: [UInt8] = (0..<256).map { mask in
        var filled = mask
        for corner in stride(from: 1, to: 8, by: 2) where mask & (1 << (corner - 1)) != 0 && mask & (1 << ((corner + 1) % 8)) != 0 {
            filled |= 1 << corner
        }
        if filled == 255 { return 1 }
        return transitions[filled]
    }

    @inline(__always) static func ringMask(_ i: Int, _ scratch: Scratch) -> Int {
        let x = i % scratch.width, y = i / scratch.width
        var mask = 0
        for (k, d) in ring.enumerated() {
            let nx = x + d.dx, ny = y + d.dy
            if nx >= 0, nx < scratch.width, ny >= 0, ny < scratch.height, scratch.skeleton[ny * scratch.width + nx] != 0 { mask |= 1 << k }
        }
        return mask
    }

    /// Zhang–Suen thinning of the `count` pixels in `list` (skeleton value 1); returns how many
    /// remain, compacted to the front of `list`.
    private static func thin(count: Int, scratch: Scratch) -> Int {
        let skeleton = scratch.skeleton, list = scratch.list
        var remaining = count
        var changed = true
        while changed {
            changed = false
            for pass in 0..<2 {
                var deleted = 0
                for k in 0..<remaining {
                    let i = Int(list[k])
                    let mask = ringMask(i, scratch)
                    let b = mask.nonzeroBitCount
                    guard b >= 2, b <= 6, transitions[mask] == 1 else { continue }
                    let n = mask & 1 != 0, e = mask & 4 != 0, s = mask & 16 != 0, w = mask & 64 != 0
                    let removable = pass == 0 ? (!(n && e && s) && !(e && s && w)) : (!(n && e && w) && !(n && s && w))
                    if removable { skeleton[i] = 2; deleted += 1 }
                }
                guard deleted > 0 else { continue }
                changed = true
                var kept = 0
                for k in 0..<remaining {
                    let i = Int(list[k])
                    if skeleton[i] == 2 { skeleton[i] = 0 } else { list[kept] = Int32(i); kept += 1 }
                }
                remaining = kept
            }
        }
        return remaining
    }

    /// Removes, one at a time, pixels with two or more neighbours that stay one 8-connected group
    /// without them (staircase corners); ends and junctions stay. Returns how many remain.
    private static func removeStaircases(count: Int, scratch: Scratch) -> Int {
        let skeleton = scratch.skeleton, list = scratch.list
        var kept = 0
        for k in 0..<count {
            let i = Int(list[k])
            let mask = ringMask(i, scratch)
            if mask.nonzeroBitCount >= 2, groups[mask] == 1 { skeleton[i] = 0 } else { list[kept] = Int32(i); kept += 1 }
        }
        return kept
    }
}

/// The branches of one skeleton between its ends and junctions, as aggregates (lengths,
/// directions and the clusters they join; no pixels).
struct SkeletonGraph {
    typealias Scratch = HairStrands.Scratch

    struct Branch {
        var from: Int, to: Int
        var lengthPixels: Double
        /// Shortest chords of the branch's path pixels (its end nodes left out).
        var chords: ChordHistogram
        /// Unit directions leaving `from` and leaving `to`.
        var fromDirection: (x: Double, y: Double), toDirection: (x: Double, y: Double)
    }

    /// Junction clusters (several junction pixels close together) and ends; `isEnd` for ends.
    var isEnd: [Bool] = []
    var branches: [Branch] = []

    /// Splits the `count` skeleton pixels at the front of `scratch.list` into branches.
    static func trace(count: Int, scratch: Scratch, rules: HairStrands.Rules) -> SkeletonGraph {
        let width = scratch.width
        let skeleton = scratch.skeleton, list = scratch.list
        var graph = SkeletonGraph()
        // Node pixels (not exactly two neighbours) get value 3 and a cluster: 8-adjacent junction
        // pixels form one cluster, each end its own.
        var cluster: [Int32: Int] = [:]
        var nodes: [Int] = []
        for k in 0..<count {
            let i = Int(list[k])
            let neighbours = HairStrands.ringMask(i, scratch).nonzeroBitCount
            if neighbours != 2 { nodes.append(i); skeleton[i] = neighbours >= 3 ? 3 : 4 }
        }
        for node in nodes where cluster[Int32(node)] == nil {
            let id = graph.isEnd.count
            graph.isEnd.append(skeleton[node] == 4)
            cluster[Int32(node)] = id
            guard skeleton[node] == 3 else { continue }
            var stack = [node]
            while let i = stack.popLast() {
                for n in neighbours(of: i, scratch) where skeleton[n] == 3 && cluster[Int32(n)] == nil {
                    cluster[Int32(n)] = id
                    stack.append(n)
                }
            }
        }
        // Walk every branch from a node pixel to the next; path pixels are marked 2 once walked,
        // and the path is written after the skeleton's pixels in `list`.
        let skip = max(1, Int((rules.shaftWidthPixels / 2).rounded(.up)))
        let span = max(4, Int((1.5 * rules.shaftWidthPixels).rounded(.up)))
        for node in nodes {
            let from = cluster[Int32(node)]!
            for first in neighbours(of: node, scratch) {
                var length = 0
                var chords = ChordHistogram()
                list[count] = Int32(node)
                var steps = 0.0
                var previous = node, current = first
                var to: Int?
                while true {
                    steps += (current % width != previous % width && current / width != previous / width) ? 2.0.squareRoot() : 1
                    length += 1
                    list[count + length] = Int32(current)
                    if skeleton[current] >= 3 { to = cluster[Int32(current)]; break }
                    guard skeleton[current] == 1 else { break }
                    skeleton[current] = 2
                    chords.add(scratch.chord[current])
                    guard let next = firstNeighbour(of: current, scratch, where: { $0 != previous && skeleton[$0] != 2 }) else { break }
                    previous = current; current = next
                }
                // A step between two pixels of one cluster, or into an already walked path, is no branch.
                guard let to, !(length == 1 && to == from) else { continue }
                if length == 1, node > current { continue }  // two adjacent nodes: walked once
                func direction(_ a: Int, _ b: Int) -> (x: Double, y: Double) {
                    let pa = Int(list[count + a]), pb = Int(list[count + b])
                    let dx = Double(pb % width - pa % width), dy = Double(pb / width - pa / width)
                    let norm = max(1e-9, (dx * dx + dy * dy).squareRoot())
                    return (dx / norm, dy / norm)
                }
                let near = min(length, skip), far = min(length, skip + span)
                let fromDirection = near < far ? direction(near, far) : direction(0, length)
                let toDirection = near < far ? direction(length - near, length - far) : direction(length, 0)
                graph.branches.append(Branch(from: from, to: to, lengthPixels: steps, chords: chords, fromDirection: fromDirection, toDirection: toDirection))
            }
        }
        for node in nodes { skeleton[node] = 1 }
        for k in 0..<count where skeleton[Int(list[k])] == 2 { skeleton[Int(list[k])] = 1 }
        return graph
    }

    private static func firstNeighbour(of i: Int, _ scratch: Scratch, where accept: (Int) -> Bool) -> Int? {
        let x = i % scratch.width, y = i / scratch.width
        for d in HairStrands.ring {
            let nx = x + d.dx, ny = y + d.dy
            guard nx >= 0, nx < scratch.width, ny >= 0, ny < scratch.height else { continue }
            let n = ny * scratch.width + nx
            if scratch.skeleton[n] != 0, accept(n) { return n }
        }
        return nil
    }

    private static func neighbours(of i: Int, _ scratch: Scratch) -> [Int] {
        let x = i % scratch.width, y = i / scratch.width
        var result: [Int] = []
        for d in HairStrands.ring {
            let nx = x + d.dx, ny = y + d.dy
            if nx >= 0, nx < scratch.width, ny >= 0, ny < scratch.height, scratch.skeleton[ny * scratch.width + nx] != 0 {
                result.append(ny * scratch.width + nx)
            }
        }
        return result
    }

    /// Hairs. End branches no longer than one shaft width are spurs of the thinning (a cut end's
    /// corners, a bump of the edge) and dropped. Two hairs crossing thin to two junctions joined by
    /// a short branch (the longer, the shallower the crossing): when the other branches of the two
    /// junctions continue each other through it in two pairs, the two junctions are one crossing;
    /// a unit's hairs parting one after the other do not (one pair at most). Small loops (a hole in
    /// the mark) are dropped. Then at each junction the branches that continue each other best are
    /// paired, straightest first; a chain of paired branches at least the minimum strand length
    /// long is one hair. Returns the chords along each hair.
    func strands(rules: HairStrands.Rules) -> [ChordHistogram] {
        var clusterRoot = Array(isEnd.indices)
        func root(_ c: Int) -> Int {
            var c = c
            while clusterRoot[c] != c { clusterRoot[c] = clusterRoot[clusterRoot[c]]; c = clusterRoot[c] }
            return c
        }
        let w = rules.shaftWidthPixels
        var alive = branches.map { !(isEnd[$0.from] != isEnd[$0.to] && $0.lengthPixels <= w) }

        typealias End = (branch: Int, direction: (x: Double, y: Double))
        func ends(at cluster: Int, except excluded: Int) -> [End] {
            var result: [End] = []
            for (index, branch) in branches.enumerated() where alive[index] && index != excluded {
                if !isEnd[branch.from], root(branch.from) == cluster { result.append((index, branch.fromDirection)) }
                if !isEnd[branch.to], root(branch.to) == cluster { result.append((index, branch.toDirection)) }
            }
            return result
        }
        /// Greedy pairs between `left` and `right` (or within `left` when `right` is nil), straightest first.
        func pairs(_ left: [End], _ right: [End]?) -> [(Int, Int)] {
            let other = right ?? left
            var candidates: [(score: Double, i: Int, j: Int)] = []
            for i in left.indices {
                for j in other.indices where right != nil || j > i {
                    let a = left[i].direction, b = other[j].direction
                    let straightness = -(a.x * b.x + a.y * b.y)
                    if straightness >= rules.pairingMinimumCosine { candidates.append((straightness, i, j)) }
                }
            }
            var takenLeft = [Bool](repeating: false, count: left.count), takenRight = [Bool](repeating: false, count: other.count)
            var result: [(Int, Int)] = []
            for candidate in candidates.sorted(by: { $0.score > $1.score }) {
                if right == nil {
                    guard !takenLeft[candidate.i], !takenLeft[candidate.j] else { continue }
                    takenLeft[candidate.j] = true
                } else {
                    guard !takenLeft[candidate.i], !takenRight[candidate.j] else { continue }
                    takenRight[candidate.j] = true
                }
                takenLeft[candidate.i] = true
                result.append((candidate.i, candidate.j))
            }
            return result
        }

        let shortLinks = branches.indices.filter {
            alive[$0] && !isEnd[branches[$0].from] && !isEnd[branches[$0].to] && branches[$0].lengthPixels <= 4 * w
        }.sorted { branches[$0].lengthPixels < branches[$1].lengthPixels }
        for index in shortLinks {
            let a = root(branches[index].from), b = root(branches[index].to)
            guard a != b else { continue }
            if pairs(ends(at: a, except: index), ends(at: b, except: index)).count >= 2 {
                clusterRoot[a] = b
                alive[index] = false
            }
        }
        for (index, branch) in branches.enumerated() where alive[index] && root(branch.from) == root(branch.to) && !isEnd[branch.from] {
            if branch.lengthPixels <= 6 * w { alive[index] = false }
        }

        var incident: [Int: [End]] = [:]
        for (index, branch) in branches.enumerated() where alive[index] {
            if !isEnd[branch.from] { incident[root(branch.from), default: []].append((index, branch.fromDirection)) }
            if !isEnd[branch.to] { incident[root(branch.to), default: []].append((index, branch.toDirection)) }
        }
        var strandRoot = Array(branches.indices)
        func strand(_ b: Int) -> Int {
            var b = b
            while strandRoot[b] != b { strandRoot[b] = strandRoot[strandRoot[b]]; b = strandRoot[b] }
            return b
        }
        for (_, atJunction) in incident where atJunction.count >= 2 {
            for (i, j) in pairs(atJunction, nil) {
                let a = strand(atJunction[i].branch), b = strand(atJunction[j].branch)
                if a != b { strandRoot[a] = b }
            }
        }
        var lengths: [Int: Double] = [:], chords: [Int: ChordHistogram] = [:]
        for (index, branch) in branches.enumerated() where alive[index] {
            lengths[strand(index), default: 0] += branch.lengthPixels
            chords[strand(index), default: ChordHistogram()].add(branch.chords)
        }
        return lengths.filter { $0.value >= rules.minimumStrandPixels }.keys.sorted().map { chords[$0]! }
    }
}

