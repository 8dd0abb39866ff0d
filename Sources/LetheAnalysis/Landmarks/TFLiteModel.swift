import Foundation
import LetheMemory

/// A float TFLite model (FlatBuffer, schema `tensorflow/lite/schema/schema.fbs`, identifier
/// `TFL3`) parsed and checked at load: one subgraph, NHWC tensors of batch 1, and only the seven
/// operators MediaPipe's face mesh uses, which `TFLiteInterpreter` evaluates. Any other operator,
/// option or tensor type is refused here (`model_unsupported`), so a request never meets one.
public struct TFLiteModel: Sendable {
    /// The operators Lethe evaluates, with their `BuiltinOperator` codes.
    public enum OperatorKind: Int, Sendable, CaseIterable {
        case add = 0, conv2D = 3, depthwiseConv2D = 4, dequantize = 6, maxPool2D = 17, pad = 34, prelu = 54
    }

    /// `Padding` of the schema: SAME pads so that output = ⌈input / stride⌉ (extra on the far
    /// side), VALID does not pad.
    enum Padding: UInt8, Sendable { case same = 0, valid = 1 }

    /// `ActivationFunctionType` values we support fused into an operator.
    enum Activation: UInt8, Sendable { case none = 0, relu = 1, reluN1To1 = 2, relu6 = 3 }

    /// One operator, its tensors and options, checked against the tensor shapes at load.
    enum Operation: Sendable {
        case conv2D(input: Int, filter: Int, bias: Int, output: Int, padding: Padding, strideX: Int, strideY: Int, activation: Activation)
        case depthwiseConv2D(input: Int, filter: Int, bias: Int, output: Int, padding: Padding, strideX: Int, strideY: Int, multiplier: Int, activation: Activation)
        case add(left: Int, right: Int, output: Int, activation: Activation)
        case prelu(input: Int, alpha: Int, output: Int)
        case maxPool2D(input: Int, output: Int, padding: Padding, strideX: Int, strideY: Int, filterWidth: Int, filterHeight: Int, activation: Activation)
        case pad(input: Int, output: Int, before: [Int], after: [Int])

        /// The activation tensors the operator reads (not its constants).
        var activationInputs: [Int] {
            switch self {
            case let .conv2D(input, _, _, _, _, _, _, _), let .depthwiseConv2D(input, _, _, _, _, _, _, _, _),
                let .prelu(input, _, _), let .maxPool2D(input, _, _, _, _, _, _, _), let .pad(input, _, _, _):
                [input]
            case let .add(left, right, _, _): [left, right]
            }
        }

        /// The activation tensor the operator writes.
        var output: Int {
            switch self {
            case let .conv2D(_, _, _, output, _, _, _, _), let .depthwiseConv2D(_, _, _, output, _, _, _, _, _),
                let .add(_, _, output, _), let .prelu(_, _, output), let .maxPool2D(_, output, _, _, _, _, _, _),
                let .pad(_, output, _, _):
                output
            }
        }
    }

    /// Shapes of every tensor (NHWC for 4-D ones).
    let shapes: [[Int]]
    /// Constant tensors (weights, biases, PReLU slopes) as Float32; float16 weights are
    /// dequantised once here, which is what the model's DEQUANTIZE operators do. Only those the
    /// kernels read: Conv2D filters are in `outputChannelLastFilters` instead.
    let constants: [Int: [Float]]
    /// Operators in execution order (DEQUANTIZE of constants already folded away).
    let operations: [Operation]
    /// Each Conv2D filter rearranged from TFLite's [out][height][width][in] to
    /// [height][width][in][out], so that the interpreter reads eight output channels' weights for
    /// one input channel at once (`TFLiteInterpreter`'s convolution, eight channels in SIMD lanes).
    let outputChannelLastFilters: [Int: [Float]]
    /// The input tensor and the output tensors, in the model's order.
    let input: Int
    let outputs: [Int]
    /// Where each activation tensor lives in the evaluation workspace (in floats, `planWorkspace`),
    /// and its size.
    let workspaceOffsets: [Int: Int]
    let workspaceFloats: Int
    /// Operators the file uses, by kind, for documentation and tests.
    public let operatorCounts: [OperatorKind: Int]

    /// Shape of the input tensor, e.g. [1, 192, 192, 3].
    public var inputShape: [Int] { shapes[input] }
    /// Shapes of the output tensors in the model's order.
    public var outputShapes: [[Int]] { outputs.map { shapes[$0] } }

    static func unsupported(_ why: String) -> LetheError {
        LetheError(.modelUnsupported, "landmark model: \(why)")
    }

    /// Reads and checks a model file.
    /// - Throws: `model_unreadable` (missing, truncated or malformed file), `model_unsupported`
    ///   (an operator, option or tensor type the interpreter does not evaluate).
    public static func load(contentsOf url: URL) throws(LetheError) -> TFLiteModel {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .modelUnreadable("cannot read the landmark model")
        }
        return try parse(Array(data))
    }

    /// Parses the bytes of a model file.
    public static func parse(_ bytes: [UInt8]) throws(LetheError) -> TFLiteModel {
        let reader = FlatBufferReader(bytes: bytes)
        guard bytes.count >= 8, Array(bytes[4..<8]) == Array("TFL3".utf8) else {
            throw FlatBufferReader.malformed("not a TFLite file")
        }
        // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4.
        let model = try reader.root()
        var kinds: [OperatorKind?] = []
        for code in try reader.tables(model, 1) {
            // OperatorCode: deprecated_builtin_code 0 (byte), custom_code 1, version 2, builtin_code 3
            // (int). Files from before the int field store the code in the byte only: the larger wins.
            let value = max(Int(try reader.uint8(code, 0)), Int(try reader.int32(code, 3)))
            guard try reader.field(code, 1) == nil, let kind = OperatorKind(rawValue: value) else {
                throw unsupported("operator \(value) is not implemented")
            }
            kinds.append(kind)
        }
        let subgraphs = try reader.tables(model, 2)
        guard subgraphs.count == 1 else { throw unsupported("\(subgraphs.count) subgraphs (one is supported)") }
        let graph = subgraphs[0]
        let buffers = try reader.tables(model, 4)

        // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4. TensorType: FLOAT32 0, FLOAT16 1, INT32 2.
        let tensorTables = try reader.tables(graph, 0)
        var shapes: [[Int]] = [], types: [UInt8] = [], data: [Range<Int>?] = []
        for tensor in tensorTables {
            let shape = try reader.int32s(tensor, 0) ?? []
            guard shape.count <= 4, shape.allSatisfy({ (1...65_536).contains($0) }) else { throw unsupported("tensor shape \(shape)") }
            let type = try reader.uint8(tensor, 1)
            guard [0, 1, 2].contains(type) else { throw unsupported("tensor type \(type)") }
            let index = try reader.field(tensor, 2).map { (position) throws(LetheError) in Int(try reader.uint32(at: position)) } ?? 0
            guard index < buffers.count else { throw FlatBufferReader.malformed("tensor buffer index out of range") }
            // Buffer: data 0; 1 and 2 (offset/size outside the FlatBuffer) are for files over 2 GB.
            let range = index == 0 ? nil : try reader.byteRange(buffers[index], 0)
            if let range, !range.isEmpty {
                let elementSize = type == 1 ? 2 : 4
                guard range.count == shape.reduce(1, *) * elementSize else { throw FlatBufferReader.malformed("constant size does not match its shape") }
                data.append(range)
            } else {
                data.append(nil)
            }
            shapes.append(shape)
            types.append(type)
        }
        func tensorIndex(_ value: Int) throws(LetheError) -> Int {
            guard value >= 0, value < shapes.count else { throw FlatBufferReader.malformed("tensor index out of range") }
            return value
        }
        var constants: [Int: [Float]] = [:]
        for (index, range) in data.enumerated() {
            guard let range else { continue }
            switch types[index] {
            case 0: constants[index] = Self.float32s(bytes[range])
            case 1: constants[index] = Self.float16s(bytes[range])
            default: constants[index] = bytes[range].withUnsafeBytes { raw in
                (0..<(range.count / 4)).map { Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
            }
            }
        }

        guard let inputs = try reader.int32s(graph, 1), inputs.count == 1, let outputList = try reader.int32s(graph, 2), !outputList.isEmpty else {
            throw unsupported("one input and at least one output are required")
        }
        let input = try tensorIndex(inputs[0]), outputs = try outputList.map { (value) throws(LetheError) in try tensorIndex(value) }
        guard shapes[input].count == 4, shapes[input][0] == 1, types[input] == 0, constants[input] == nil else {
            throw unsupported("the input must be a float NHWC tensor of batch 1")
        }

        var builder = GraphBuilder(shapes: shapes, types: types, constants: constants, input: input)
        var counts: [OperatorKind: Int] = [:]
        // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4.
        for op in try reader.tables(graph, 3) {
            let opcode = Int(try reader.int32(op, 0))
            guard opcode >= 0, opcode < kinds.count, let kind = kinds[opcode] else { throw FlatBufferReader.malformed("opcode index out of range") }
            let ins = try (reader.int32s(op, 1) ?? []).map { (value) throws(LetheError) in try tensorIndex(value) }
            let outs = try (reader.int32s(op, 2) ?? []).map { (value) throws(LetheError) in try tensorIndex(value) }
            let options = try reader.subtable(op, 4)
            counts[kind, default: 0] += 1
            try builder.add(kind, inputs: ins, outputs: outs, options: options, reader: reader)
        }
        for output in outputs where !builder.computed.contains(output) {
            throw unsupported("an output is never computed")
        }
        let (offsets, total) = Self.planWorkspace(operations: builder.operations, input: input, outputs: outputs, shapes: builder.shapes)
        // Only the constants the kernels read are kept: Conv2D filters rearranged (not also as
        // read), and no float16 source of a folded DEQUANTIZE, whose values its output shares.
        var kept: [Int: [Float]] = [:], outputChannelLast: [Int: [Float]] = [:]
        for operation in builder.operations {
            switch operation {
            case let .conv2D(_, filter, bias, _, _, _, _, _):
                if outputChannelLast[filter] == nil {
                    outputChannelLast[filter] = Self.outputChannelLast(builder.constants[filter]!, shape: builder.shapes[filter])
                }
                kept[bias] = builder.constants[bias]
            case let .depthwiseConv2D(_, filter, bias, _, _, _, _, _, _):
                kept[filter] = builder.constants[filter]
                kept[bias] = builder.constants[bias]
            case let .prelu(_, alpha, _):
                kept[alpha] = builder.constants[alpha]
            case .add, .maxPool2D, .pad:
                break
            }
        }
        return TFLiteModel(
            shapes: builder.shapes, constants: kept, operations: builder.operations,
            outputChannelLastFilters: outputChannelLast,
            input: input, outputs: outputs, workspaceOffsets: offsets, workspaceFloats: total, operatorCounts: counts)
    }

    /// Places every activation tensor in one workspace, sharing memory between tensors whose
    /// lifetimes do not overlap (as TFLite's own arena planner does, greedy by size): a tensor lives
    /// from the operator that writes it (the input: from before the first) to the last that reads
    /// it (the outputs: to the end), and two tensors alive at one operator never overlap, so an
    /// operator's output never lies on its inputs. The face mesh's 13.4 MB of tensors, each at its
    /// own place, fit in 1.8 MB this way, which is also the bytes the request wipes for it.
    /// Offsets are in floats, on 64-byte boundaries.
    static func planWorkspace(operations: [Operation], input: Int, outputs: [Int], shapes: [[Int]]) -> (offsets: [Int: Int], floats: Int) {
        var first: [Int: Int] = [input: -1], last: [Int: Int] = [input: -1]
        for (index, operation) in operations.enumerated() {
            for tensor in operation.activationInputs { last[tensor] = index }
            first[operation.output] = index
            last[operation.output] = index
        }
        for output in outputs { last[output] = operations.count }
        let alignment = 16
        func size(_ tensor: Int) -> Int { (shapes[tensor].reduce(1, *) + alignment - 1) / alignment * alignment }
        let order = first.keys.sorted { (size($0), -first[$0]!, -$0) > (size($1), -first[$1]!, -$1) }
        var placed: [(tensor: Int, offset: Int)] = [], offsets: [Int: Int] = [:], total = 0
        for tensor in order {
            let alive = placed
                .filter { first[$0.tensor]! <= last[tensor]! && first[tensor]! <= last[$0.tensor]! }
                .sorted { $0.offset < $1.offset }
            var offset = 0
            for other in alive where offset + size(tensor) > other.offset {
                offset = max(offset, other.offset + size(other.tensor))
            }
            placed.append((tensor, offset))
            offsets[tensor] = offset
            total = max(total, offset + size(tensor))
        }
        return (offsets, total)
    }

    /// A [out][height][width][in] filter as [height][width][in][out].
    static func outputChannelLast(_ filter: [Float], shape: [Int]) -> [Float] {
        let (outputs, rows, columns, inputs) = (shape[0], shape[1], shape[2], shape[3])
        var rearranged = [Float](repeating: 0, count: filter.count)
        for output in 0..<outputs {
            for position in 0..<(rows * columns) {
                for input in 0..<inputs {
                    rearranged[(position * inputs + input) * outputs + output] = filter[(output * rows * columns + position) * inputs + input]
                }
            }
        }
        return rearranged
    }

    private static func float32s(_ slice: ArraySlice<UInt8>) -> [Float] {
        slice.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    /// IEEE 754 binary16 → binary32 (exact: every half value is a float), written out because
    /// `Float16` is not available on every platform Swift builds for.
    static func float16s(_ slice: ArraySlice<UInt8>) -> [Float] {
        slice.withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map { index in
                let half = UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)))
                let sign = (half & 0x8000) << 16, exponent = (half >> 10) & 0x1F, mantissa = half & 0x3FF
                if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
                if exponent == 0 {
                    // Subnormal half: mantissa × 2^-24.
                    let magnitude = Float(mantissa) * 0x1p-24
                    return sign == 0 ? magnitude : -magnitude
                }
                return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
            }
        }
    }
}

extension TFLiteModel: CustomStringConvertible {
    /// A one-line summary (the weights are far too long to print).
    public var description: String { "TFLiteModel(input \(inputShape), outputs \(outputShapes), \(operations.count) operators)" }
}
