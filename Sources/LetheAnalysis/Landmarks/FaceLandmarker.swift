import Foundation
import LetheImaging
import LetheMemory

/// One point of the face mesh, in input-image pixels (x right, y down). `z` is depth relative to
/// the face centre in the same pixel scale (smaller is nearer the camera), as MediaPipe reports it.
public struct LandmarkPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var z: Double

    /// A point in input pixels.
    public init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }
}

/// The 468 face-mesh points of one face and the model's face-presence probability.
public struct FaceLandmarks: Sendable, Equatable {
    /// The points in MediaPipe's mesh order (e.g. 1 nose tip, 61/291 mouth corners).
    public var points: [LandmarkPoint]
    /// Sigmoid of the model's face-presence logit, 0…1.
    public var presence: Double
    /// The square the model saw, in input pixels (may extend past the image; outside is replicated edge).
    public var crop: FaceLandmarker.Crop

    /// The same mesh in a photo `factor` times larger (a reduced photo's overview to the photo):
    /// positions and depth scale alike, the presence is the model's.
    func scaled(by factor: Double) -> FaceLandmarks {
        guard factor != 1 else { return self }
        return FaceLandmarks(
            points: points.map { LandmarkPoint(x: $0.x * factor, y: $0.y * factor, z: $0.z * factor) }, presence: presence,
            crop: FaceLandmarker.Crop(centreX: crop.centreX * factor, centreY: crop.centreY * factor, side: crop.side * factor, roll: crop.roll))
    }

    /// The eye line's angle against the image's horizontal, in radians (positive: clockwise on
    /// screen), from the eye centres as `FaceFrame` takes them (the means of each eye's corners).
    public var eyeLineRoll: Double {
        let subjectRight = centre(of: [33, 133]), subjectLeft = centre(of: [362, 263])
        return atan2(subjectLeft.y - subjectRight.y, subjectLeft.x - subjectRight.x)
    }

    /// Mean of the given mesh points (e.g. an eye centre from its contour corners).
    public func centre(of indices: [Int]) -> (x: Double, y: Double) {
        let sum = indices.reduce((x: 0.0, y: 0.0)) { ($0.x + points[$1].x, $0.y + points[$1].y) }
        return (sum.x / Double(indices.count), sum.y / Double(indices.count))
    }
}

/// Face landmarks from MediaPipe's face mesh (`face_landmark.tflite`), evaluated by
/// `TFLiteInterpreter`: the face box is grown to a square of 1.5× its longer side around its
/// centre (MediaPipe's face-detection-to-ROI transform: `scale_x`/`scale_y` 1.5, `square_long`),
/// resampled bilinearly to the model's 192×192 input with values in [0, 1], and the points
/// mapped back from the 192-pixel crop to the input.
public struct FaceLandmarker: Sendable {
    /// File name of the model inside the models directory.
    public static let modelFileName = "face_landmark.tflite"
    /// Growth of the face box into the model's crop (MediaPipe: 1.5).
    public static let cropScale = 1.5

    public let model: TFLiteModel
    /// Side of the model's square input (192).
    public let inputSide: Int

    /// Wraps a loaded model, checking it has the face mesh's input and outputs.
    /// - Throws: `model_unsupported` when the tensors are not [1, S, S, 3] → [1, 1, 1, 1404] and [1, 1, 1, 1].
    public init(model: TFLiteModel) throws(LetheError) {
        let shape = model.inputShape
        guard shape.count == 4, shape[1] == shape[2], shape[3] == 3, model.outputShapes.count == 2,
            model.outputShapes[0].reduce(1, *) == 468 * 3, model.outputShapes[1].reduce(1, *) == 1
        else { throw TFLiteModel.unsupported("not a 468-point face mesh model") }
        self.model = model
        self.inputSide = shape[1]
    }

    /// Loads `face_landmark.tflite`.
    /// - Throws: `model_unreadable`, `model_unsupported`.
    public static func load(contentsOf url: URL) throws(LetheError) -> FaceLandmarker {
        try FaceLandmarker(model: try TFLiteModel.load(contentsOf: url))
    }

    /// The square region of the input the model sees (may extend past the image), turned by
    /// `roll` about its centre: the crop's horizontal runs along the image direction at `roll`
    /// radians (positive: clockwise on screen), as MediaPipe's ROI rotation.
    public struct Crop: Sendable, Equatable {
        public var centreX: Double
        public var centreY: Double
        public var side: Double
        public var roll: Double

        public init(centreX: Double, centreY: Double, side: Double, roll: Double = 0) {
            self.centreX = centreX
            self.centreY = centreY
            self.side = side
            self.roll = roll
        }

        /// Input-pixel position of a point given in model-input pixels (0…`inputSide`).
        func inputPosition(x: Double, y: Double, inputSide: Int) -> (x: Double, y: Double) {
            let scale = side / Double(inputSide)
            guard roll != 0 else { return (centreX + x * scale - side / 2, centreY + y * scale - side / 2) }
            let u = x * scale - side / 2, v = y * scale - side / 2
            let (cosine, sine) = (cos(roll), sin(roll))
            return (centreX + cosine * u - sine * v, centreY + sine * u + cosine * v)
        }
    }

    /// The least face-presence probability at which the mesh confirms a face (MediaPipe's face
    /// landmarker: `min_face_presence_confidence` 0.5). Every face of the test suite reads above
    /// 0.99999.
    public static let minimumPresence = 0.5

    /// Beyond this roll of the eye line (radians; 7.5°, half the zones' ±15°) the upright crop's
    /// mesh is taken again on a crop turned by it, so that the model sees the face upright, as
    /// MediaPipe's detector-to-ROI step turns it by its eye keypoints: on an upright crop the
    /// model reads a rolled face's roll about a fifth short (the fixture portraits turned 15°:
    /// 12.4°; 20°: 15.6–15.9°), and places its points as on a face it was not trained on.
    public static let turnedPassRoll = 7.5 * Double.pi / 180

    /// The crop for a face box: 1.5× its longer side around its centre, upright (MediaPipe's
    /// `face_detection_front_detection_to_roi`, without the roll its detector's eye keypoints give).
    public static func crop(for face: FaceDetection) -> Crop {
        Crop(
            centreX: Double(face.box.x) + Double(face.box.width) / 2, centreY: Double(face.box.y) + Double(face.box.height) / 2,
            side: cropScale * Double(max(face.box.width, face.box.height)))
    }

    /// The model's input as RGB8 (`inputSide`² pixels): the crop resampled bilinearly, pixel
    /// centres aligned, edge pixels replicated outside the image. An arena buffer (`.intermediate`).
    public func cropPixels(of image: DecodedImage, crop: Crop, arena: PlaintextArena) throws(LetheError) -> SecureBuffer {
        let buffer = try allocate(arena, bytes: inputSide * inputSide * 3, what: "landmark crop")
        image.pixels.withUnsafeBytes { source in
            buffer.withUnsafeMutableBytes { target in
                for row in 0..<inputSide {
                    for column in 0..<inputSide {
                        let position = crop.inputPosition(x: Double(column) + 0.5, y: Double(row) + 0.5, inputSide: inputSide)
                        let x = min(max(position.x - 0.5, 0), Double(image.width - 1))
                        let y = min(max(position.y - 0.5, 0), Double(image.height - 1))
                        let x0 = Int(x), x1 = min(x0 + 1, image.width - 1), fx = x - Double(x0)
                        let y0 = Int(y), y1 = min(y0 + 1, image.height - 1), fy = y - Double(y0)
                        for channel in 0..<3 {
                            func at(_ px: Int, _ py: Int) -> Double { Double(source[(py * image.width + px) * 3 + channel]) }
                            let top = at(x0, y0) * (1 - fx) + at(x1, y0) * fx
                            let bottom = at(x0, y1) * (1 - fx) + at(x1, y1) * fx
                            target[(row * inputSide + column) * 3 + channel] = UInt8((top * (1 - fy) + bottom * fy).rounded())
                        }
                    }
                }
            }
        }
        return buffer
    }

    /// Runs the model on RGB8 pixels of `inputSide`² (values scaled to [0, 1]) and returns the raw
    /// outputs: 1404 coordinates in crop pixels (x, y, z per point) and the face-presence logit.
    public func evaluate(rgb: SecureBuffer, arena: PlaintextArena) throws(LetheError) -> (coordinates: [Float], presenceLogit: Float) {
        let floats = inputSide * inputSide * 3
        precondition(rgb.count == floats, "crop size")
        let tensor = try allocate(arena, bytes: floats * MemoryLayout<Float>.stride, what: "landmark input tensor")
        defer { arena.release(tensor) }
        rgb.withUnsafeBytes { source in
            tensor.withUnsafeMutableBytes { target in
                let values = target.bindMemory(to: Float.self)
                for index in 0..<floats { values[index] = Float(source[index]) / 255 }
            }
        }
        let outputs = try TFLiteInterpreter.evaluate(model, input: tensor, arena: arena)
        defer { outputs.forEach(arena.release) }
        let coordinates = outputs[0].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let logit = outputs[1].withUnsafeBytes { $0.bindMemory(to: Float.self)[0] }
        return (coordinates, logit)
    }

    /// The face mesh of `face` in `image`, in input pixels: one pass on the face box's upright
    /// crop, as MediaPipe's face mesh does on a still image (`static_image_mode`), and a second on
    /// the same crop turned by the first mesh's eye line where that rolls beyond `turnedPassRoll`.
    public func landmarks(in image: DecodedImage, face: FaceDetection, arena: PlaintextArena) throws(LetheError) -> FaceLandmarks {
        let upright = try landmarks(in: image, crop: Self.crop(for: face), arena: arena)
        let roll = upright.eyeLineRoll
        guard abs(roll) > Self.turnedPassRoll else { return upright }
        var turned = upright.crop
        turned.roll = roll
        return try landmarks(in: image, crop: turned, arena: arena)
    }

    /// The face mesh seen in one crop of `image`.
    public func landmarks(in image: DecodedImage, crop: Crop, arena: PlaintextArena) throws(LetheError) -> FaceLandmarks {
        let pixels = try cropPixels(of: image, crop: crop, arena: arena)
        defer { arena.release(pixels) }
        let (coordinates, logit) = try evaluate(rgb: pixels, arena: arena)
        let scale = crop.side / Double(inputSide)
        let points = (0..<468).map { index in
            let position = crop.inputPosition(x: Double(coordinates[3 * index]), y: Double(coordinates[3 * index + 1]), inputSide: inputSide)
            return LandmarkPoint(x: position.x, y: position.y, z: Double(coordinates[3 * index + 2]) * scale)
        }
        return FaceLandmarks(points: points, presence: 1 / (1 + exp(-Double(logit))), crop: crop)
    }

    private func allocate(_ arena: PlaintextArena, bytes: Int, what: String) throws(LetheError) -> SecureBuffer {
        do { return try arena.allocate(count: bytes, bufferClass: .intermediate) } catch {
            throw .analysisAllocationFailed(error, "the \(what)")
        }
    }
}
