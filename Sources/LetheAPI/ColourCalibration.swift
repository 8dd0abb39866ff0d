/// How a photo's colour was made comparable (`skin`, `face`): the device profile's correction
/// applied before CIELAB, or, without one, the model behind the uncalibrated colour's uncertainty.
public struct ColourCalibration: Sendable, Codable, Equatable {
    /// The capture variation an uncalibrated colour is held uncertain by.
    public struct UncertaintyModel: Sendable, Codable, Equatable {
        /// Exposure may be off by up to this many stops either way (the light × 2^±EV).
        public var exposureStops: Double
        /// White balance may be off by red × (1 ± t), blue × (1 ∓ t) in linear light, t up to this.
        public var whiteBalanceShift: Double

        public init(exposureStops: Double, whiteBalanceShift: Double) {
            self.exposureStops = exposureStops
            self.whiteBalanceShift = whiteBalanceShift
        }

        enum CodingKeys: String, CodingKey {
            case exposureStops = "exposure_stops", whiteBalanceShift = "white_balance_shift"
        }
    }

    /// `calibrated` or `uncalibrated`.
    public var status: String
    /// Calibrated: `colour_matrix`, `grey_reference` or `colour_matrix_and_grey_reference`.
    public var method: String?
    /// The profile's grey reference as the photo showed it, before correction (L*, a*, b*): how
    /// far the capture was off.
    public var greyReferenceMeasured: GreyReferenceReading?
    /// Why the profile's grey reference was not used: `grey_reference_clipped`,
    /// `grey_reference_too_dark`, `grey_reference_not_uniform` (covered, or not the patch).
    public var greyReferenceProblem: String?
    /// Uncalibrated: the capture model of `SkinTone.uncertainty`.
    public var uncertaintyModel: UncertaintyModel?

    /// CIELAB of the grey reference patch as captured.
    public struct GreyReferenceReading: Sendable, Codable, Equatable {
        public var lStar: Double, aStar: Double, bStar: Double

        public init(lStar: Double, aStar: Double, bStar: Double) {
            self.lStar = lStar
            self.aStar = aStar
            self.bStar = bStar
        }

        enum CodingKeys: String, CodingKey {
            case lStar = "l_star", aStar = "a_star", bStar = "b_star"
        }
    }

    public init(
        status: String, method: String? = nil, greyReferenceMeasured: GreyReferenceReading? = nil, greyReferenceProblem: String? = nil,
        uncertaintyModel: UncertaintyModel? = nil
    ) {
        self.status = status
        self.method = method
        self.greyReferenceMeasured = greyReferenceMeasured
        self.greyReferenceProblem = greyReferenceProblem
        self.uncertaintyModel = uncertaintyModel
    }

    enum CodingKeys: String, CodingKey {
        case status, method, greyReferenceMeasured = "grey_reference_measured", greyReferenceProblem = "grey_reference_problem"
        case uncertaintyModel = "uncertainty_model"
    }
}
