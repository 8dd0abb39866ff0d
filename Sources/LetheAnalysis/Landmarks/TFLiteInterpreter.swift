import LetheMemory

/// Evaluates a `TFLiteModel` on Float32, following TFLite's reference kernels
/// (`tensorflow/lite/kernels/internal/reference/`): NHWC layout, SAME padding with the extra row
/// or column after, fused activations applied after the bias. Every activation tensor lives in
/// one arena buffer of class `.intermediate`, so what the photo turns into is wiped with it.
public enum TFLiteInterpreter {
    /// Runs the model on `input` (Float32, the input tensor's element count) and returns each
    /// output tensor in its own arena buffer (Float32), in the model's output order.
    /// - Throws: `allocation_failed` when the arena cannot hold the workspace.
    public static func evaluate(_ model: TFLiteModel, input: SecureBuffer, arena: PlaintextArena) throws(LetheError) -> [SecureBuffer] {
        let inputFloats = model.shapes[model.input].reduce(1, *)
        precondition(input.count == inputFloats * MemoryLayout<Float>.stride, "input tensor size")
        let workspace = try allocate(arena, floats: model.workspaceFloats, what: "landmark model workspace")
        defer { arena.release(workspace) }
        var outputs: [SecureBuffer] = []
        do {
            for output in model.outputs {
                outputs.append(try allocate(arena, floats: model.shapes[output].reduce(1, *), what: "landmark model output"))
            }
        } catch {
            outputs.forEach(arena.release)
            throw error
        }
        workspace.withUnsafeMutableBytes { raw in
            let memory = raw.bindMemory(to: Float.self)
            input.withUnsafeBytes { source in
                let values = source.bindMemory(to: Float.self)
                let start = model.workspaceOffsets[model.input]!
                for index in 0..<inputFloats { memory[start + index] = values[index] }
            }
            let kernels = Kernels(model: model, memory: memory)
            for operation in model.operations { kernels.run(operation) }
            for (tensor, buffer) in zip(model.outputs, outputs) {
                let view = kernels.tensor(tensor)
                buffer.withUnsafeMutableBytes { target in
                    let floats = target.bindMemory(to: Float.self)
                    for index in view.indices { floats[index] = view[index] }
                }
            }
        }
        return outputs
    }

    private static func allocate(_ arena: PlaintextArena, floats: Int, what: String) throws(LetheError) -> SecureBuffer {
        do { return try arena.allocate(count: floats * MemoryLayout<Float>.stride, bufferClass: .intermediate) } catch {
            throw .analysisAllocationFailed(error, "the \(what)")
        }
    }
}

/// The seven kernels over the workspace; shapes were checked when the model was loaded.
private struct Kernels {
    let model: TFLiteModel
    let memory: UnsafeMutableBufferPointer<Float>

    func tensor(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        let start = model.workspaceOffsets[index]!
        return UnsafeMutableBufferPointer(rebasing: memory[start..<(start + model.shapes[index].reduce(1, *))])
    }

    /// Height, width, channels of an NHWC tensor of batch 1.
    func dimensions(_ index: Int) -> (height: Int, width: Int, channels: Int) {
        let shape = model.shapes[index]
        return (shape[1], shape[2], shape[3])
    }

    static func activate(_ value: Float, _ activation: TFLiteModel.Activation) -> Float {
        switch activation {
        case .none: value
        case .relu: max(value, 0)
        case .reluN1To1: min(max(value, -1), 1)
        case .relu6: min(max(value, 0), 6)
        }
    }

    /// TFLite's SAME padding puts ⌊total / 2⌋ before and the rest after.
    static func padBefore(input: Int, output: Int, filter: Int, stride: Int, padding: TFLiteModel.Padding) -> Int {
        guard padding == .same else { return 0 }
        return max((output - 1) * stride + filter - input, 0) / 2
    }

    /// Where a filter lies on the input for each output pixel: input and filter sizes, strides and
    /// the padding before (`padBefore`).
    struct Window {
        let inHeight: Int, inWidth: Int, inChannels: Int, filterHeight: Int, filterWidth: Int
        let strideX: Int, strideY: Int, top: Int, left: Int

        /// Calls `body` with each filter position of output pixel (`outRow`, `outColumn`) that lies
        /// on the input, row by row: the position's index (filter row × filter width + filter
        /// column) and the input offset of the pixel under it.
        @inline(__always)
        func forEachTap(outRow: Int, outColumn: Int, _ body: (_ position: Int, _ source: Int) -> Void) {
            for filterRow in 0..<filterHeight {
                let row = outRow * strideY - top + filterRow
                guard row >= 0, row < inHeight else { continue }
                for filterColumn in 0..<filterWidth {
                    let column = outColumn * strideX - left + filterColumn
                    guard column >= 0, column < inWidth else { continue }
                    body(filterRow * filterWidth + filterColumn, (row * inWidth + column) * inChannels)
                }
            }
        }
    }

    func filterWindow(input: Int, output: Int, filter: Int, padding: TFLiteModel.Padding, strideX: Int, strideY: Int) -> Window {
        let (inHeight, inWidth, inChannels) = dimensions(input), (outHeight, outWidth, _) = dimensions(output)
        let filterHeight = model.shapes[filter][1], filterWidth = model.shapes[filter][2]
        return Window(
            inHeight: inHeight, inWidth: inWidth, inChannels: inChannels, filterHeight: filterHeight, filterWidth: filterWidth,
            strideX: strideX, strideY: strideY,
            top: Self.padBefore(input: inHeight, output: outHeight, filter: filterHeight, stride: strideY, padding: padding),
            left: Self.padBefore(input: inWidth, output: outWidth, filter: filterWidth, stride: strideX, padding: padding))
    }

    func run(_ operation: TFLiteModel.Operation) {
        switch operation {
        case let .conv2D(input, filter, bias, output, padding, strideX, strideY, activation):
            convolve(input: input, filter: filter, bias: bias, output: output, padding: padding, strideX: strideX, strideY: strideY, activation: activation)
        case let .depthwiseConv2D(input, filter, bias, output, padding, strideX, strideY, multiplier, activation):
            depthwise(input: input, filter: filter, bias: bias, output: output, padding: padding, strideX: strideX, strideY: strideY, multiplier: multiplier, activation: activation)
        case let .add(left, right, output, activation):
            let a = tensor(left), b = tensor(right), c = tensor(output)
            for index in c.indices { c[index] = Self.activate(a[index] + b[index], activation) }
        case let .prelu(input, alpha, output):
            let x = tensor(input), y = tensor(output), slopes = model.constants[alpha]!
            let channels = slopes.count
            for index in y.indices {
                let value = x[index]
                y[index] = value >= 0 ? value : value * slopes[index % channels]
            }
        case let .maxPool2D(input, output, padding, strideX, strideY, filterWidth, filterHeight, activation):
            maxPool(input: input, output: output, padding: padding, strideX: strideX, strideY: strideY, filterWidth: filterWidth, filterHeight: filterHeight, activation: activation)
        case let .pad(input, output, before, _):
            let x = tensor(input), y = tensor(output)
            let (inHeight, inWidth, inChannels) = dimensions(input), (_, outWidth, outChannels) = dimensions(output)
            for index in y.indices { y[index] = 0 }
            for row in 0..<inHeight {
                for column in 0..<inWidth {
                    let source = (row * inWidth + column) * inChannels
                    let target = ((row + before[1]) * outWidth + column + before[2]) * outChannels + before[3]
                    for channel in 0..<inChannels { y[target + channel] = x[source + channel] }
                }
            }
        }
    }

    /// Eight output channels side by side in SIMD lanes: each lane sums its channel's products
    /// over the input channels in TFLite's order and adds them filter position by filter
    /// position after the bias, as the one-channel loop does, so the same bits; the channels
    /// left over after the last eight run one at a time.
    private func convolve(input: Int, filter: Int, bias: Int, output: Int, padding: TFLiteModel.Padding, strideX: Int, strideY: Int, activation: TFLiteModel.Activation) {
        typealias Lanes = SIMD8<Float>
        let x = tensor(input), y = tensor(output)
        let weights = model.outputChannelLastFilters[filter]!, biases = model.constants[bias]!
        let (outHeight, outWidth, outChannels) = dimensions(output), inChannels = dimensions(input).channels
        let window = filterWindow(input: input, output: output, filter: filter, padding: padding, strideX: strideX, strideY: strideY)
        let vectorChannels = outChannels / Lanes.scalarCount * Lanes.scalarCount
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                let filters = UnsafeRawPointer(w.baseAddress!)
                @inline(__always) func weightLanes(_ index: Int) -> Lanes {
                    filters.loadUnaligned(fromByteOffset: index * MemoryLayout<Float>.stride, as: Lanes.self)
                }
                for outRow in 0..<outHeight {
                    for outColumn in 0..<outWidth {
                        let target = (outRow * outWidth + outColumn) * outChannels
                        var channel = 0
                        while channel < outChannels {
                            let lanes = channel < vectorChannels ? Lanes.scalarCount : 1
                            var values = Lanes(repeating: 0)
                            for lane in 0..<lanes { values[lane] = b[channel + lane] }
                            window.forEachTap(outRow: outRow, outColumn: outColumn) { position, source in
                                // Layout [height][width][in][out] (`outputChannelLastFilters`).
                                let weight = position * inChannels * outChannels + channel
                                var sum = Lanes(repeating: 0)
                                if lanes == Lanes.scalarCount {
                                    for inChannel in 0..<inChannels {
                                        sum += Lanes(repeating: x[source + inChannel]) * weightLanes(weight + inChannel * outChannels)
                                    }
                                } else {
                                    for inChannel in 0..<inChannels { sum[0] += x[source + inChannel] * w[weight + inChannel * outChannels] }
                                }
                                values += sum
                            }
                            for lane in 0..<lanes { y[target + channel + lane] = Self.activate(values[lane], activation) }
                            channel += lanes
                        }
                    }
                }
            }
        }
    }

    private func depthwise(input: Int, filter: Int, bias: Int, output: Int, padding: TFLiteModel.Padding, strideX: Int, strideY: Int, multiplier: Int, activation: TFLiteModel.Activation) {
        let x = tensor(input), y = tensor(output)
        let weights = model.constants[filter]!, biases = model.constants[bias]!
        let (outHeight, outWidth, outChannels) = dimensions(output)
        let window = filterWindow(input: input, output: output, filter: filter, padding: padding, strideX: strideX, strideY: strideY)
        weights.withUnsafeBufferPointer { w in
            for outRow in 0..<outHeight {
                for outColumn in 0..<outWidth {
                    let target = (outRow * outWidth + outColumn) * outChannels
                    for channel in 0..<outChannels { y[target + channel] = biases[channel] }
                    window.forEachTap(outRow: outRow, outColumn: outColumn) { position, source in
                        // Filter layout [1][height][width][in × multiplier]; output channel = in × multiplier + m.
                        let weight = position * outChannels
                        if multiplier == 1 {
                            // Channel for channel: a loop the compiler vectorises (no division per element).
                            for channel in 0..<outChannels { y[target + channel] += x[source + channel] * w[weight + channel] }
                        } else {
                            for channel in 0..<outChannels { y[target + channel] += x[source + channel / multiplier] * w[weight + channel] }
                        }
                    }
                    for channel in 0..<outChannels { y[target + channel] = Self.activate(y[target + channel], activation) }
                }
            }
        }
    }

    private func maxPool(input: Int, output: Int, padding: TFLiteModel.Padding, strideX: Int, strideY: Int, filterWidth: Int, filterHeight: Int, activation: TFLiteModel.Activation) {
        let x = tensor(input), y = tensor(output)
        let (inHeight, inWidth, channels) = dimensions(input), (outHeight, outWidth, _) = dimensions(output)
        let top = Self.padBefore(input: inHeight, output: outHeight, filter: filterHeight, stride: strideY, padding: padding)
        let left = Self.padBefore(input: inWidth, output: outWidth, filter: filterWidth, stride: strideX, padding: padding)
        for outRow in 0..<outHeight {
            for outColumn in 0..<outWidth {
                let target = (outRow * outWidth + outColumn) * channels
                for channel in 0..<channels { y[target + channel] = -.greatestFiniteMagnitude }
                // Padding cells are ignored, not zeros (TFLite reference MaxPool).
                for row in max(outRow * strideY - top, 0)..<min(outRow * strideY - top + filterHeight, inHeight) {
                    for column in max(outColumn * strideX - left, 0)..<min(outColumn * strideX - left + filterWidth, inWidth) {
                        let source = (row * inWidth + column) * channels
                        for channel in 0..<channels { y[target + channel] = max(y[target + channel], x[source + channel]) }
                    }
                }
                for channel in 0..<channels { y[target + channel] = Self.activate(y[target + channel], activation) }
            }
        }
    }
}
