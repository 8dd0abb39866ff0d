import LetheImaging
import LetheMemory

/// Output control of the rendered images: size, format, quality.
public struct SimulationOutput: Sendable, Equatable {
    /// The longer side of every rendered image, at most; photos are only ever scaled down.
    public var maxDimension: Int
    /// Format of the preview and the overlay (masks are always PNG, for their alpha channel).
    public var format: ImageFormat
    /// 1–100; JPEG and lossy WebP quality. WebP at 100 is lossless; PNG ignores it.
    public var quality: Int

    public static let defaultMaxDimension = 1024
    public static let defaultQuality = 85

    public init(maxDimension: Int = SimulationOutput.defaultMaxDimension, format: ImageFormat = .jpeg, quality: Int = SimulationOutput.defaultQuality) {
        self.maxDimension = maxDimension
        self.format = format
        self.quality = quality
    }
}

/// Server-side limits of simulations (`--max-simulation-dimension`).
public struct SimulationLimits: Sendable, Equatable {
    /// Largest `max_dimension` a request may ask for.
    public var maxDimension: Int
    /// Smallest `max_dimension` (smaller images show nothing useful).
    public static let minDimension = 64

    public init(maxDimension: Int = 2048) {
        self.maxDimension = maxDimension
    }
}

/// What a request asks to be rendered: `simulate=spots,redness&strength=0.6&strength.redness=0.9
/// &max_dimension=800&format=png&quality=90`.
public struct SimulationRequest: Sendable, Equatable {
    /// Requested concerns, in request order, without repeats.
    public var concerns: [SimulationConcern]
    /// Strength 0–1 of each requested concern in the preview.
    public var strengths: [SimulationConcern: Double]
    public var output: SimulationOutput

    /// Strength of concerns the request names without a strength.
    public static let defaultStrength = 0.5
    /// Formats a device may ask for (HEIF is not offered: few viewers open it).
    public static let outputFormats: [ImageFormat] = [.jpeg, .png, .webp]

    public init(concerns: [SimulationConcern], strengths: [SimulationConcern: Double] = [:], output: SimulationOutput = SimulationOutput()) {
        self.concerns = concerns
        self.strengths = strengths
        self.output = output
    }

    /// The strength the preview applies for `concern`: 0 when the concern was not requested.
    public func strength(of concern: SimulationConcern) -> Double {
        guard concerns.contains(concern) else { return 0 }
        return strengths[concern] ?? SimulationRequest.defaultStrength
    }

    /// Query parameters that belong to simulations.
    public static func isSimulationParameter(_ name: String) -> Bool {
        ["simulate", "strength", "max_dimension", "format", "quality"].contains(name) || name.hasPrefix("strength.")
    }

    /// Parses the simulation parameters of a query (other names are ignored).
    /// - Returns: nil when the query has no `simulate`.
    /// - Throws: `unknown_concern`, `concern_kind_mismatch`, `invalid_strength`,
    ///   `invalid_output_dimension`, `unsupported_output_format`, `invalid_output_quality`,
    ///   `simulate_required` (output or strength options without `simulate`).
    public static func parse(_ query: [(name: String, value: String)], kind: String, limits: SimulationLimits = SimulationLimits()) throws(LetheError) -> SimulationRequest? {
        let relevant = query.filter { isSimulationParameter($0.name) }
        guard let list = relevant.last(where: { $0.name == "simulate" })?.value else {
            if let stray = relevant.first {
                throw LetheError(.simulateRequired, "\(shown(stray.name)) needs simulate=<concerns>")
            }
            return nil
        }
        var concerns: [SimulationConcern] = []
        for name in list.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmingWhitespace }) {
            let concern = try concern(named: name)
            guard concern.kinds.contains(kind) else {
                throw LetheError(.concernKindMismatch, "\(concern.rawValue) cannot be simulated for kind=\(kind); it exists for \(concern.kinds.joined(separator: ", "))")
            }
            if !concerns.contains(concern) { concerns.append(concern) }
        }
        var request = SimulationRequest(concerns: concerns)
        var common: Double?
        for (name, value) in relevant {
            switch name {
            case "simulate": continue
            case "strength": common = try strength(value, parameter: name)
            case "max_dimension":
                guard let dimension = Int(value), (SimulationLimits.minDimension...limits.maxDimension).contains(dimension) else {
                    throw LetheError(.invalidOutputDimension, "max_dimension must be a whole number of pixels from \(SimulationLimits.minDimension) to \(limits.maxDimension), got '\(shown(value))'")
                }
                request.output.maxDimension = dimension
            case "format":
                guard let format = ImageFormat(rawValue: value.lowercased() == "jpg" ? "jpeg" : value.lowercased()),
                      outputFormats.contains(format) else {
                    throw LetheError(.unsupportedOutputFormat, "format '\(shown(value))' is not offered; use \(outputFormats.map(\.rawValue).joined(separator: ", "))")
                }
                request.output.format = format
            case "quality":
                guard let quality = Int(value), (1...100).contains(quality) else {
                    throw LetheError(.invalidOutputQuality, "quality must be a whole number from 1 to 100, got '\(shown(value))'")
                }
                request.output.quality = quality
            default:
                // strength.<concern>
                let concern = try concern(named: String(name.dropFirst("strength.".count)))
                request.strengths[concern] = try strength(value, parameter: name)
            }
        }
        for concern in concerns where request.strengths[concern] == nil {
            request.strengths[concern] = common ?? defaultStrength
        }
        return request
    }

    private static func concern(named name: String) throws(LetheError) -> SimulationConcern {
        guard let concern = SimulationConcern(rawValue: name) else {
            throw LetheError(.unknownConcern, "'\(shown(name))' is not a concern that can be simulated; known: \(SimulationConcern.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return concern
    }

    private static func strength(_ text: String, parameter: String) throws(LetheError) -> Double {
        guard let value = Double(text), value.isFinite, (0...1).contains(value) else {
            throw LetheError(.invalidStrength, "\(shown(parameter)) must be a number from 0 to 1, got '\(shown(text))'")
        }
        return value
    }

    /// Request text echoed in a message, cut short.
    private static func shown(_ text: String) -> String {
        text.count > 32 ? String(text.prefix(32)) + "…" : text
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
