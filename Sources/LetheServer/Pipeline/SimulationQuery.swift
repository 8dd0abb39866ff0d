import LetheAnalysis
import LetheImaging
import LetheMemory

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

/// The simulation part of an analysis request's query: `simulate=spots,redness&strength=0.6
/// &strength.redness=0.9&max_dimension=800&format=png&quality=90`, read into the
/// `SimulationRequest` the analysis renders.
enum SimulationQuery {
    /// Formats a device may ask for (HEIF is not offered: few viewers open it).
    static let outputFormats: [ImageFormat] = [.jpeg, .png, .webp]

    /// Query parameters that belong to simulations.
    static func isParameter(_ name: String) -> Bool {
        ["simulate", "strength", "max_dimension", "format", "quality"].contains(name) || name.hasPrefix("strength.")
    }

    /// Parses the simulation parameters of a query (other names are ignored).
    /// - Returns: nil when the query has no `simulate`.
    /// - Throws: `unknown_concern`, `concern_kind_mismatch`, `invalid_strength`,
    ///   `invalid_output_dimension`, `unsupported_output_format`, `invalid_output_quality`,
    ///   `simulate_required` (output or strength options without `simulate`).
    static func parse(
        _ query: [(name: String, value: String)], kind: AnalysisKind, limits: SimulationLimits = SimulationLimits()
    ) throws(LetheError) -> SimulationRequest? {
        let relevant = query.filter { isParameter($0.name) }
        guard let list = relevant.last(where: { $0.name == "simulate" })?.value else {
            if let stray = relevant.first { throw .simulateRequired(parameter: stray.name) }
            return nil
        }
        var concerns: [SimulationConcern] = []
        for name in list.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmingSpaces }) {
            let concern = try concern(named: name)
            guard concern.kinds.contains(kind) else { throw .concernKindMismatch(concern, kind: kind) }
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
                    throw .invalidOutputDimension(value, range: SimulationLimits.minDimension...limits.maxDimension)
                }
                request.output.maxDimension = dimension
            case "format":
                guard let format = ImageFormat(rawValue: value.lowercased() == "jpg" ? "jpeg" : value.lowercased()),
                      outputFormats.contains(format) else {
                    throw .unsupportedOutputFormat(value, offered: outputFormats)
                }
                request.output.format = format
            case "quality":
                guard let quality = Int(value), (1...100).contains(quality) else { throw .invalidOutputQuality(value) }
                request.output.quality = quality
            default:
                // strength.<concern>
                let concern = try concern(named: String(name.dropFirst("strength.".count)))
                request.strengths[concern] = try strength(value, parameter: name)
            }
        }
        for concern in concerns where request.strengths[concern] == nil {
            request.strengths[concern] = common ?? SimulationRequest.defaultStrength
        }
        return request
    }

    private static func concern(named name: String) throws(LetheError) -> SimulationConcern {
        guard let concern = SimulationConcern(rawValue: name) else { throw .unknownConcern(name) }
        return concern
    }

    private static func strength(_ text: String, parameter: String) throws(LetheError) -> Double {
        guard let value = Double(text), value.isFinite, (0...1).contains(value) else {
            throw .invalidStrength(text, parameter: parameter)
        }
        return value
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return String(slice)
    }
}
