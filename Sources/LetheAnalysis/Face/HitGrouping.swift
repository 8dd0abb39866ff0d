/// OpenCV's `groupRectangles`: hits that overlap within `epsilon` form one class (union-find);
/// classes with more than `minNeighbours` hits become faces (their mean box); a face inside a
/// larger, better supported one is dropped.
enum HitGrouping {
    struct Box {
        var x: Double, y: Double, width: Double, height: Double
        var count = 1
    }

    static func group(_ boxes: [Box], minNeighbours: Int, epsilon: Double) -> [Box] {
        var parent = Array(boxes.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        func similar(_ a: Box, _ b: Box) -> Bool {
            let delta = epsilon * (min(a.width, b.width) + min(a.height, b.height)) * 0.5
            return abs(a.x - b.x) <= delta && abs(a.y - b.y) <= delta
                && abs(a.x + a.width - b.x - b.width) <= delta && abs(a.y + a.height - b.y - b.height) <= delta
        }
        for i in boxes.indices {
            for j in boxes.indices where j > i && similar(boxes[i], boxes[j]) {
                let ri = root(i), rj = root(j)
                if ri != rj { parent[rj] = ri }
            }
        }
        var classes: [Int: Box] = [:]
        for (i, box) in boxes.enumerated() {
            let r = root(i)
            if var sum = classes[r] {
                sum.x += box.x; sum.y += box.y; sum.width += box.width; sum.height += box.height; sum.count += 1
                classes[r] = sum
            } else {
                classes[r] = box
            }
        }
        let means = classes.values.map { sum in
            let n = Double(sum.count)
            return Box(x: sum.x / n, y: sum.y / n, width: sum.width / n, height: sum.height / n, count: sum.count)
        }.filter { $0.count > minNeighbours }
        return means.filter { inner in
            !means.contains { outer in
                guard outer.x != inner.x || outer.y != inner.y || outer.width != inner.width else { return false }
                let dx = outer.width * epsilon, dy = outer.height * epsilon
                return inner.x >= outer.x - dx && inner.y >= outer.y - dy
                    && inner.x + inner.width <= outer.x + outer.width + dx && inner.y + inner.height <= outer.y + outer.height + dy
                    && (outer.count > max(3, inner.count) || inner.count < 3)
            }
        }
    }
}
