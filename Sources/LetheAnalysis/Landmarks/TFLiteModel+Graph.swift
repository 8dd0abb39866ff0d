import LetheMemory
/// Builds `TFLiteModel.Operation`s from the file's operators, checking every tensor shape the
/// interpreter will rely on, so that evaluation needs no checks and cannot index out of bounds.
struct GraphBuilder {
    typealias Model = TFLiteModel
    var shapes: [[Int]]
    let types: [UInt8]
    var constants: [Int: [Float]]
    var operations: [Model.Operation] = []
    /// Tensors written by an operator so far (each may be written once, before it is read).
    var computed: Set<Int> = []
    let input: Int

    init(shapes: [[Int]], types: [UInt8], constants: [Int: [Float]], input: Int) {
        self.input = input
        self.shapes = shapes
        self.types = types
        self.constants = constants
    }

    private func fail(_ why: String) -> LetheError { Model.unsupported(why) }

    /// A float activation tensor that is available (the graph input, or computed earlier).
    private func activation(_ index: Int, rank: Int = 4) throws(LetheError) -> [Int] {
        guard index == input || computed.contains(index), types[index] == 0, shapes[index].count == rank, shapes[index].first == 1 else {
            throw fail("an operator input is not a float NHWC activation")
        }
        return shapes[index]
    }

    private func constant(_ index: Int, count: Int) throws(LetheError) -> [Float] {
        guard let values = constants[index], values.count == count else { throw fail("a weight tensor has the wrong size") }
        return values
    }

    private mutating func produce(_ index: Int, shape: [Int]) throws(LetheError) {
        guard constants[index] == nil, !computed.contains(index), types[index] == 0 else { throw fail("an output tensor is written twice") }
        guard shapes[index] == shape else { throw fail("declared output shape \(shapes[index]) differs from computed \(shape)") }
        computed.insert(index)
    }

    private func activationFunction(_ value: UInt8) throws(LetheError) -> Model.Activation {
        guard let activation = Model.Activation(rawValue: value) else { throw fail("fused activation \(value)") }
        return activation
    }

    private func padding(_ value: UInt8) throws(LetheError) -> Model.Padding {
        guard let padding = Model.Padding(rawValue: value) else { throw fail("padding \(value)") }
        return padding
    }

    /// Output length of a windowed operator (TFLite `ComputeOutSize`).
    private func outputSize(_ input: Int, filter: Int, stride: Int, padding: Model.Padding) throws(LetheError) -> Int {
        guard stride >= 1, stride <= 16, filter >= 1, filter <= 64 else { throw fail("stride or filter size out of range") }
        switch padding {
        case .same: return (input + stride - 1) / stride
        case .valid:
            guard input >= filter else { throw fail("filter larger than its input") }
            return (input - filter) / stride + 1
        }
    }

    mutating func add(
        _ kind: Model.OperatorKind, inputs: [Int], outputs: [Int], options: FlatBufferReader.Table?, reader: FlatBufferReader
    ) throws(LetheError) {
        guard outputs.count == 1, let output = outputs.first else { throw fail("an operator must have one output") }
        switch kind {
        case .dequantize:
            // The model stores weights as float16 and dequantises them with this operator: folded at load.
            guard inputs.count == 1, let values = constants[inputs[0]], types[inputs[0]] == 1,
                shapes[inputs[0]] == shapes[output], types[output] == 0, constants[output] == nil
            else { throw fail("DEQUANTIZE of anything but a float16 constant") }
            constants[output] = values

        case .conv2D, .depthwiseConv2D:
            guard inputs.count == 3, let options else { throw fail("convolution without bias or options") }
            let input = try activation(inputs[0])
            let filter = shapes[inputs[1]]
            guard filter.count == 4 else { throw fail("convolution filter is not 4-D") }
            // Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3, dilation_w 4, dilation_h 5.
            // DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, activation 4, dilation 5, 6.
            let depthwise = kind == .depthwiseConv2D
            let pad = try padding(try reader.uint8(options, 0))
            let strideX = Int(try reader.int32(options, 1)), strideY = Int(try reader.int32(options, 2))
            let activation = try activationFunction(try reader.uint8(options, depthwise ? 4 : 3))
            let dilationX = try reader.int32(options, depthwise ? 5 : 4, default: 1), dilationY = try reader.int32(options, depthwise ? 6 : 5, default: 1)
            guard dilationX == 1, dilationY == 1 else { throw fail("dilated convolution") }
            let outputChannels = depthwise ? filter[3] : filter[0]
            if depthwise {
                guard filter[0] == 1, input[3] > 0, filter[3] % input[3] == 0 else { throw fail("depthwise filter shape") }
            } else {
                guard filter[3] == input[3] else { throw fail("convolution filter shape") }
            }
            _ = try constant(inputs[1], count: filter.reduce(1, *))
            _ = try constant(inputs[2], count: outputChannels)
            let height = try outputSize(input[1], filter: filter[1], stride: strideY, padding: pad)
            let width = try outputSize(input[2], filter: filter[2], stride: strideX, padding: pad)
            try produce(output, shape: [1, height, width, outputChannels])
            if depthwise {
                operations.append(.depthwiseConv2D(
                    input: inputs[0], filter: inputs[1], bias: inputs[2], output: output, padding: pad,
                    strideX: strideX, strideY: strideY, multiplier: filter[3] / input[3], activation: activation))
            } else {
                operations.append(.conv2D(
                    input: inputs[0], filter: inputs[1], bias: inputs[2], output: output, padding: pad,
                    strideX: strideX, strideY: strideY, activation: activation))
            }

        case .add:
            // AddOptions: fused_activation_function 0. Same-shape operands only (no broadcasting).
            guard inputs.count == 2 else { throw fail("ADD needs two operands") }
            let left = try activation(inputs[0]), right = try activation(inputs[1])
            guard left == right else { throw fail("ADD with broadcasting") }
            let activation = try activationFunction(options.map { (table) throws(LetheError) in try reader.uint8(table, 0) } ?? 0)
            try produce(output, shape: left)
            operations.append(.add(left: inputs[0], right: inputs[1], output: output, activation: activation))

        case .prelu:
            // Slopes per channel, stored as [1, 1, C] (or [C]): broadcast over height and width.
            guard inputs.count == 2 else { throw fail("PRELU needs two operands") }
            let input = try activation(inputs[0])
            let alpha = shapes[inputs[1]]
            guard alpha.reduce(1, *) == input[3], alpha.last == input[3] else { throw fail("PRELU slopes are not per channel") }
            _ = try constant(inputs[1], count: input[3])
            try produce(output, shape: input)
            operations.append(.prelu(input: inputs[0], alpha: inputs[1], output: output))

        case .maxPool2D:
            // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, activation 5.
            guard inputs.count == 1, let options else { throw fail("MAX_POOL_2D without options") }
            let input = try activation(inputs[0])
            let pad = try padding(try reader.uint8(options, 0))
            let strideX = Int(try reader.int32(options, 1)), strideY = Int(try reader.int32(options, 2))
            let filterWidth = Int(try reader.int32(options, 3)), filterHeight = Int(try reader.int32(options, 4))
            let activation = try activationFunction(try reader.uint8(options, 5))
            let height = try outputSize(input[1], filter: filterHeight, stride: strideY, padding: pad)
            let width = try outputSize(input[2], filter: filterWidth, stride: strideX, padding: pad)
            try produce(output, shape: [1, height, width, input[3]])
            operations.append(.maxPool2D(
                input: inputs[0], output: output, padding: pad, strideX: strideX, strideY: strideY,
                filterWidth: filterWidth, filterHeight: filterHeight, activation: activation))

        case .pad:
            // Paddings: an int32 constant [rank, 2] of (before, after) per dimension; zeros are padded.
            guard inputs.count == 2, types[inputs[1]] == 2 else { throw fail("PAD without constant paddings") }
            let input = try activation(inputs[0])
            let paddings = try constant(inputs[1], count: 8).map { Int($0) }
            let before = stride(from: 0, to: 8, by: 2).map { paddings[$0] }, after = stride(from: 1, to: 8, by: 2).map { paddings[$0] }
            guard (before + after).allSatisfy({ (0...64).contains($0) }), before[0] == 0, after[0] == 0 else { throw fail("PAD amounts") }
            try produce(output, shape: (0..<4).map { input[$0] + before[$0] + after[$0] })
            operations.append(.pad(input: inputs[0], output: output, before: before, after: after))
        }
    }
}
