@testable import LetheAnalysis
import Testing

/// The interpreter's workspace: tensors that are never alive at the same operator share memory;
/// tensors that are never share it.
@Suite("TFLite workspace plan")
struct TFLiteWorkspaceTests {
    @Test("a chain of four tensors: each one shares memory with a tensor already dead, as worked by hand")
    func chain() {
        // 0 → 1 → 2 → 3 (PReLUs), 16, 32, 32 and 16 floats; alive at operators −1…0, 0…1, 1…2, 2…end.
        let operations: [TFLiteModel.Operation] = [
            .prelu(input: 0, alpha: 9, output: 1), .prelu(input: 1, alpha: 9, output: 2), .prelu(input: 2, alpha: 9, output: 3),
        ]
        let shapes = [[1, 1, 1, 16], [1, 1, 2, 16], [1, 2, 1, 16], [1, 1, 1, 16]]
        let (offsets, floats) = TFLiteModel.planWorkspace(operations: operations, input: 0, outputs: [3], shapes: shapes)
        // Largest first: 1 at 0; 2 (alive with 1 at operator 1) after it; 0 beside 1 only, so
        // after it; 3 beside 2 only, so at 0, where 1 was.
        #expect(offsets == [1: 0, 2: 32, 0: 32, 3: 0])
        #expect(floats == 64)
    }

    @Test("the face mesh: no two tensors alive at one operator overlap, and the workspace is a fraction of their sum")
    func faceMesh() throws {
        let model = try FaceLandmarkerTests.landmarker().model
        var first = [model.input: -1], last = [model.input: -1]
        for (index, operation) in model.operations.enumerated() {
            for tensor in operation.activationInputs { last[tensor] = index }
            first[operation.output] = index
            last[operation.output] = index
        }
        for output in model.outputs { last[output] = model.operations.count }
        #expect(Set(model.workspaceOffsets.keys) == Set(first.keys))
        func range(_ tensor: Int) -> Range<Int> {
            let start = model.workspaceOffsets[tensor]!
            return start..<(start + model.shapes[tensor].reduce(1, *))
        }
        var overlaps: [String] = []
        for step in -1...model.operations.count {
            let alive = first.keys.filter { first[$0]! <= step && step <= last[$0]! }.sorted()
            for (position, a) in alive.enumerated() {
                #expect(range(a).upperBound <= model.workspaceFloats)
                for b in alive[(position + 1)...] where range(a).overlaps(range(b)) { overlaps.append("\(a)/\(b) at \(step)") }
            }
        }
        #expect(overlaps.isEmpty, "\(overlaps.prefix(5))")
        let sum = first.keys.map { model.shapes[$0].reduce(1, *) }.reduce(0, +)
        print("face mesh workspace: \(model.workspaceFloats * 4) bytes for \(first.count) tensors of \(sum * 4) bytes")
        #expect(model.workspaceFloats * 4 < sum)
    }
}
