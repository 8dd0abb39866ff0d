import LetheAPI
import LetheImaging
import LetheMemory

/// Face-photo settings on top of the shared quality gate.
public struct FaceAnalysisConfiguration: Sendable, Equatable, Codable {
    /// The face box must be at least this fraction of the image width (`face_too_small`).
    public var minFaceWidthFraction: Double
    /// Detections narrower than this fraction of the minimum are ignored (background faces, noise).
    public var ignoreBelowFractionOfMinimum: Double
    /// A region cut by the image border to less than this fraction of its area makes the face
    /// `face_out_of_bounds`.
    public var minRegionInsideFraction: Double
    /// A further detection counts as a second face (`multiple_faces`) only when the detector
    /// supports it with at least this fraction of the best face's window hits; weaker ones are
    /// the cascade's false positives (on the fixture: a real face 25 hits, a false one 5).
    public var secondaryFaceMinimumSupport: Double
    /// The face box must keep this fraction of its width from every border.
    public var minBorderMarginFraction: Double
    /// The largest yaw, pitch and roll the face zones are drawn for.
    public var pose: FacePose.Limits
    /// The short side a JPEG face photo is decoded reduced to for the gate, the detector and the
    /// mesh (`ImageDecoder.decodeReduced`; the measured crop is decoded at full resolution): their
    /// working planes (512 and 256 pixels) are reduced from it, and a face of the smallest accepted
    /// width (15 % of the frame) spans ≥ 154 of its pixels, its mesh crop (1.5 × the box) ≥ 230,
    /// more than the mesh model's 192-pixel input.
    public var overviewShortSidePixels: Int
    /// A zone more of whose surface than this is covered (`RegionMeasures.coveredFraction`: hair,
    /// a beard, a mask) is reported covered, not measured (`FaceAnalysisResult.coveredZones`).
    public var maxZoneCoveredFraction: Double

    public init(
        minFaceWidthFraction: Double = 0.15, ignoreBelowFractionOfMinimum: Double = 0.5, minRegionInsideFraction: Double = 0.6,
        secondaryFaceMinimumSupport: Double = 0.4, minBorderMarginFraction: Double = 0.1, pose: FacePose.Limits = FacePose.Limits(),
        overviewShortSidePixels: Int = 1024, maxZoneCoveredFraction: Double = 2.0 / 3
    ) {
        self.maxZoneCoveredFraction = maxZoneCoveredFraction
        self.overviewShortSidePixels = overviewShortSidePixels
        self.pose = pose
        self.minBorderMarginFraction = minBorderMarginFraction
        self.secondaryFaceMinimumSupport = secondaryFaceMinimumSupport
        self.minFaceWidthFraction = minFaceWidthFraction
        self.ignoreBelowFractionOfMinimum = ignoreBelowFractionOfMinimum
        self.minRegionInsideFraction = minRegionInsideFraction
    }
}

/// `kind=face`: the frame's quality gate (resolution, colour cast; exposure and focus only when no
/// face is found) → exactly one face (Haar cascade) → the face box's exposure and focus, beside the
/// face mesh → pose check → skin mask and zones from the mesh → measures per zone.
public enum FaceAnalyzer {
    /// - Parameters:
    ///   - reportLandmarks: include the mesh points and the zone polygons in the result (opt-in).
    ///   - profile: the capture device; its colour-correction matrix or grey reference calibrate
    ///     the colour (and the colour-cast check is then left to the calibration).
    ///   - releasingPixels: wipe `image`'s pixels through `arena` once the face's working image is
    ///     cut from them (nothing after the analysis renders from them): the 12 MP of a phone photo
    ///     are then not alive next to the measures' planes.
    /// - Returns: the whole-face measures, the face box with per-zone measures, and the face's geometry.
    /// - Throws: the quality-gate codes, `colour_cast`, `face_not_found`, `multiple_faces`,
    ///   `face_too_small`, `face_out_of_bounds`, `face_yaw_out_of_range`, `face_pitch_out_of_range`,
    ///   `face_roll_out_of_range`; `lighting_too_bright` when more of the face's skin clipped than
    ///   the profile's `max_clipped_skin_fraction`.
    public static func analyze(
        _ image: DecodedImage, models: AnalysisModels, configuration: SkinAnalysisConfiguration,
        face faceConfiguration: FaceAnalysisConfiguration = FaceAnalysisConfiguration(),
        measures: SkinMeasureConfiguration = SkinMeasureConfiguration(),
        millimetresPerPixel: Double? = nil, scaleSource: String? = nil, reportLandmarks: Bool = false, profile: DeviceProfile? = nil,
        releasingPixels: Bool = false, arena: PlaintextArena
    ) throws(LetheError) -> (measures: SkinAnalysisResult, face: FaceAnalysisResult, geometry: FaceGeometry) {
        try analyze(
            ReducedPhoto(whole: image), models: models, configuration: configuration, face: faceConfiguration, measures: measures,
            millimetresPerPixel: millimetresPerPixel, scaleSource: scaleSource, reportLandmarks: reportLandmarks, profile: profile,
            releasingPixels: releasingPixels, arena: arena)
    }

    /// The face of a photo decoded reduced (`ImageDecoder.decodeReduced`): the gate, the detector
    /// and the mesh read the overview (the mesh's 192-pixel input needs no more), and only the
    /// measured crop is read at full resolution, decoded once the crop is known. Results are in
    /// photo pixels. A reduced photo's overview and window are the analysis' own and wiped as soon
    /// as they are read (`releasingPixels` is about a photo decoded whole, which the caller may
    /// still render from).
    public static func analyze(
        _ photo: ReducedPhoto, models: AnalysisModels, configuration: SkinAnalysisConfiguration,
        face faceConfiguration: FaceAnalysisConfiguration = FaceAnalysisConfiguration(),
        measures: SkinMeasureConfiguration = SkinMeasureConfiguration(),
        millimetresPerPixel: Double? = nil, scaleSource: String? = nil, reportLandmarks: Bool = false, profile: DeviceProfile? = nil,
        releasingPixels: Bool = false, arena: PlaintextArena
    ) throws(LetheError) -> (measures: SkinAnalysisResult, face: FaceAnalysisResult, geometry: FaceGeometry) {
        let analysed = try analyze(
            photo, models: models, configuration: configuration, face: faceConfiguration, measures: measures,
            millimetresPerPixel: millimetresPerPixel, scaleSource: scaleSource, reportLandmarks: reportLandmarks, profile: profile,
            releasingPixels: releasingPixels, labelling: false, arena: arena)
        return (analysed.measures, analysed.face, analysed.geometry)
    }

    /// `analyze`, and with `labelling` the pixels each measure counted (`ConcernLabels`, which the
    /// caller releases): the simulations draw them.
    static func analyze(
        _ photo: ReducedPhoto, models: AnalysisModels, configuration: SkinAnalysisConfiguration,
        face faceConfiguration: FaceAnalysisConfiguration, measures: SkinMeasureConfiguration,
        millimetresPerPixel: Double?, scaleSource: String?, reportLandmarks: Bool, profile: DeviceProfile?,
        releasingPixels: Bool, labelling: Bool, arena: PlaintextArena
    ) throws(LetheError) -> (measures: SkinAnalysisResult, face: FaceAnalysisResult, geometry: FaceGeometry, labels: ConcernLabels?) {
        let detector = models.faceDetector
        let overview = photo.overview, reduction = photo.reduction
        let colour = ColourCalibrator.calibrate(overview, profile: profile, model: measures.uncalibratedTone)
        // A calibrated photo's cast is what the correction removes; an uncalibrated one is refused.
        let checkCast = colour.report.status != "calibrated"
        // The detector's window search on both threads when the request has a second core
        // (`RequestThreads`: they take its pyramid levels in turn). Detections narrower than the
        // least the face rules consider (`locateFace`) are not looked for.
        let search = try detector.search(in: overview, minimumWidth: Self.narrowestConsidered(imageWidth: overview.width, faceConfiguration), arena: arena)
        let (scanned, helped) = RequestThreads.fork(
            { Result { () throws(LetheError) -> Void in try search?.scan() } },
            { Result { () throws(LetheError) -> Void in try search?.scan() } })
        let detections = search?.faces() ?? []
        var located = Result { () throws(LetheError) in
            try scanned.get()
            try helped.get()
            return try locateFace(in: detections, imageWidth: overview.width, configuration: faceConfiguration)
        }
        search?.release()
        // The mesh of the face the mesh confirmed among several, on the overview: not evaluated again below.
        var confirmedMesh: FaceLandmarks?
        if case .failure(let error) = located, error.code == .multipleFaces {
            located = Result { () throws(LetheError) in
                let confirmed = try confirmedFace(
                    among: candidateFaces(in: detections, imageWidth: overview.width, configuration: faceConfiguration), in: overview,
                    landmarker: models.faceLandmarker, configuration: faceConfiguration, arena: arena)
                confirmedMesh = confirmed.mesh
                return confirmed.face
            }
        }
        // The frontal cascade misses many faces rolled past about 15°, which are then refused as
        // no face rather than for their roll: looked for again as if rolled either way.
        var searchedRolled = false
        if case .failure(let error) = located, error.code == .faceNotFound {
            searchedRolled = true
            if let rolled = try locateRolledFace(in: overview, detector: detector, configuration: faceConfiguration, arena: arena) {
                located = .success(rolled)
            }
        }
        // The frame's gate and the face's — its exposure and focus measured on the face box at a
        // fixed working width: the face's decide, not the backdrop's — beside the face mesh, which
        // needs the box alone (at one device the whole photo often still decodes on the other
        // core through the search, which then runs on one thread: the gate, as long as the mesh,
        // fills the core the mesh leaves). The checks below run in the order they always did,
        // whatever ran first: the frame's refusals, its exposure and focus only when there is no
        // face (`QualityGate.checkFrameForFace`), the face box at the border, the face's
        // exposure and focus, then the mesh's own. With a second core, a reduced photo's full
        // resolution around the face is decoded beside the mesh too (`likelyWindow`), and
        // measured from when it holds the crop the mesh's zones ask for (a photo decoded whole
        // beside its overview, `ImageDecoder.decodeReduced`, is that window already).
        /// `known`: the candidate's mesh on the overview, when already evaluated.
        func gateBesideMesh(_ candidate: FaceDetection?, frame: Result<FrameQuality, LetheError>?, known: FaceLandmarks? = nil) -> (
            framed: Result<FrameQuality, LetheError>, faceGated: Result<QualityFigures, LetheError>?, early: DecodedImage?,
            meshed: Result<FaceLandmarks, LetheError>?
        ) {
            let ((framed, faceGated, early), meshed) = RequestThreads.forkTelling(
                { besideMesh -> (Result<FrameQuality, LetheError>, Result<QualityFigures, LetheError>?, DecodedImage?) in
                    let framed = frame ?? Result { () throws(LetheError) -> FrameQuality in
                        try QualityGate.measureFrame(overview, photoSize: (photo.width, photo.height), configuration: configuration, arena: arena)
                    }
                    guard let candidate else { return (framed, nil, nil) }
                    let gated = Result { () throws(LetheError) -> QualityFigures in
                        try QualityGate.measureRegion(overview, region: candidate.box, workingWidth: configuration.faceGateWorkingWidthPixels, arena: arena)
                    }
                    // Only beside the mesh: one core after the other it would only add rows and pixels.
                    guard besideMesh, photo.isReduced, case .success = framed, case .success = gated else { return (framed, gated, nil) }
                    let face = candidate.scaled(by: reduction).box
                    return (framed, gated, try? photo.window(likelyWindow(around: face, width: photo.width, height: photo.height)))
                },
                { candidate.map { found in Result { () throws(LetheError) in
                    if let known { return known.scaled(by: Double(reduction)) }
                    return try models.faceLandmarker.landmarks(in: overview, face: found, arena: arena).scaled(by: Double(reduction))
                } } })
            return (framed, faceGated, early, meshed)
        }
        var (framed, faceGated, early, meshed) = gateBesideMesh(try? located.get(), frame: nil, known: confirmedMesh)
        // Wiped here when a check below refuses the face or the window misses the crop (a second release is nothing).
        defer { if let early { arena.release(early.pixels) } }
        // A box the upright search found and the mesh sees no face in is the cascade's false
        // positive (`confirmFace`), which may stand for a face rolled past what the upright search
        // finds beside it (the astronaut turned −25° on a grown canvas: a box on the backdrop,
        // refused for its blur until 2026-12-07): the rolled search decides, as if the upright one
        // had found nothing; when it finds nothing either, the box's own refusals stand.
        if !searchedRolled, let mesh = try? meshed?.get(), mesh.presence < FaceLandmarker.minimumPresence,
            let rolled = try locateRolledFace(in: overview, detector: detector, configuration: faceConfiguration, arena: arena) {
            if let early { arena.release(early.pixels) }
            located = .success(rolled)
            (framed, faceGated, early, meshed) = gateBesideMesh(rolled, frame: framed)
        }
        let found = try QualityGate.checkFrameForFace(framed.get(), located: located, configuration: configuration, checkColourCast: checkCast)
        let detection = found.scaled(by: reduction)
        let face = detection.box
        // The detector's box always lies inside the photo; a face cut by the border shows as a box
        // pressed against it (the cascade still fires on the visible part).
        let margin = Int((faceConfiguration.minBorderMarginFraction * Double(face.width)).rounded(.up))
        if face.x < margin || face.y < margin || face.x + face.width > photo.width - margin || face.y + face.height > photo.height - margin {
            throw .faceOutOfBounds("the face box \(face.x),\(face.y) \(face.width)×\(face.height) is within \(margin) pixels of the \(photo.width)×\(photo.height) border")
        }
        // Both are there: a face was located (`checkFrameForFace` returned it).
        let faceQuality = try faceGated!.get()
        try faceQuality.checkExposure(configuration)
        try faceQuality.checkFocus(configuration, maxBlurIndex: configuration.maxFaceBlurIndex)
        let mesh = try meshed!.get()
        try confirmFace(mesh)
        let geometry = FaceGeometry(landmarks: mesh)
        try geometry.pose.check(faceConfiguration.pose)
        // The box's fixed layout (brow to chin, temple to temple) must be in the photo; the zones
        // come from the mesh, and the measured crop holds both.
        let layout = FaceRegions.regions(for: face)
        for region in layout {
            let inside = region.rect.clipped(width: photo.width, height: photo.height)
            let fraction = Double(inside.width * inside.height) / Double(max(1, region.rect.width * region.rect.height))
            if fraction < faceConfiguration.minRegionInsideFraction {
                throw .faceOutOfBounds("only \(Int(fraction * 100))% of the \(region.name) is inside the photo")
            }
        }
        let regions = geometry.regions()
        let crop = measuredCrop(layout: layout, zones: regions, width: photo.width, height: photo.height)
        let factor = canonicalFactor(geometry, configuration: measures)
        let scale = millimetresPerPixel ?? measures.faceBoxWidthMillimetres / Double(face.width)
        let source = millimetresPerPixel == nil ? "face_width_estimate" : (scaleSource ?? "query")

        // A reduced photo's overview is read no more: wiped before the crop is decoded beside it.
        if photo.isReduced { arena.release(overview.pixels) }
        // The window decoded beside the mesh, when it holds the crop: the working image reads only
        // the crop's pixels, so a larger window gives the same planes.
        let window: DecodedImage
        if let early, early.frame.contains(crop) { window = early } else {
            if let early { arena.release(early.pixels) }
            window = try photo.window(crop)
        }
        // No window is read after the crop's: the file's bytes may go (an engine's photo, `AnalysisEngine`).
        photo.windowsRead()
        let lensZones = Eyeglasses.areWorn(in: window, geometry: geometry) ? Eyeglasses.lensZones : []
        let (zones, zoneSkinColours, clippedSkin, labels) = try SkinConcernMeasurer.measureWithSkinColours(
            window, crop: crop, factor: factor, regions: regions, millimetresPerPixel: scale, configuration: measures, face: geometry,
            colour: colour, releasingPixels: releasingPixels || photo.isReduced, photoSize: (photo.width, photo.height),
            clippedSkinLimit: profile?.maxClippedSkinFraction, labelling: labelling, coveredZoneLimit: faceConfiguration.maxZoneCoveredFraction,
            lensZones: lensZones, arena: arena)
        // A covered zone's few skin-coloured pixels (between the hairs of a fringe) are read by no measure.
        let (measured, skinColours, covered) = try separateCovered(
            zones, skinColours: zoneSkinColours, maximumCoveredFraction: faceConfiguration.maxZoneCoveredFraction, lensZones: lensZones)
        let whole = RegionAggregate.combine(measured, calibration: colour.tone, millimetresPerPixel: scale)
        let boxArea = Double(face.area)
        var quality = faceQuality.quality(width: photo.width, height: photo.height)
        quality.clippedSkinFraction = clippedSkin
        let result = SkinAnalysisResult(
            skinTone: whole.skinTone, redness: whole.redness, quality: quality,
            skinPixelFraction: Double(whole.skinPixelCount) / boxArea, skinPixelCount: whole.skinPixelCount,
            concerns: whole.concerns, millimetresPerPixel: scale, scaleSource: source, colourCalibration: colour.report)
        // Opt-in: the points are derived from the photo and only leave the worker when asked for.
        let landmarks = reportLandmarks ? mesh.points.map { [($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10] } : nil
        let faceResult = FaceAnalysisResult(
            box: face, detectorNeighbours: detection.neighbours, widthFraction: Double(face.width) / Double(photo.width),
            regions: measured, coveredZones: covered.isEmpty ? nil : covered, pose: geometry.pose, landmarks: landmarks, zones: reportLandmarks ? geometry.reported : nil,
            darkCircles: darkCircles(zip(measured.map(\.region), skinColours).map { (name: $0, colour: $1) }), oiliness: oiliness(measured))
        return (result, faceResult, geometry, labels)
    }

    /// Input pixels per working pixel of the face's canonical frame: the inter-ocular distance
    /// brought into `faceCanonicalInterOcularPixels`, so that the same face photographed larger or
    /// smaller is measured at the same working scale (lines, spots and papules are found with
    /// filters fixed in units of the face, not of the photo). A face above the range is shrunk (it
    /// loses detail finer than the finest lines looked for); one below a lower bound above 0 is
    /// enlarged, which adds no detail but keeps the detectors' pixel minimums (the finest filter,
    /// 3-pixel marks) at one size on the face; in the range a face is measured as it is.
    static func canonicalFactor(_ geometry: FaceGeometry, configuration: SkinMeasureConfiguration) -> Double {
        let range = configuration.faceCanonicalInterOcularPixels
        return geometry.interOcularPixels / min(max(geometry.interOcularPixels, range.lowerBound), range.upperBound)
    }

    /// The zones to measure, each with its skin colour, and those covered past
    /// `maximumCoveredFraction` of their surface or without a skin pixel (`lensZones`, behind
    /// eyeglasses, are wholly covered, and listed with that cause). Throws `no_skin_detected`
    /// when no zone is left (which a photo hardly reaches: the skin check is against the face's
    /// median colour, so hair over most of the face would pass as its skin, and the detector and
    /// the mesh do not see a face under a veil of hair).
    static func separateCovered(
        _ zones: [RegionMeasures], skinColours: [CIELab?], maximumCoveredFraction: Double, lensZones: [String] = []
    ) throws(LetheError) -> (
        measured: [RegionMeasures], skinColours: [CIELab?], covered: [CoveredZone]
    ) {
        let isCovered = zones.map { $0.isCovered(limit: maximumCoveredFraction) }
        guard isCovered.contains(false) else { throw .faceCovered(maximum: maximumCoveredFraction) }
        let shown = zones.indices.filter { !isCovered[$0] }
        let covered = zones.indices.filter { isCovered[$0] }.map { index in
            CoveredZone(
                region: zones[index].region, box: zones[index].box, coveredFraction: zones[index].coveredFraction ?? 1,
                skinPixelCount: zones[index].skinPixelCount, cause: lensZones.contains(zones[index].region) ? .eyeglasses : .covering)
        }
        return (shown.map { zones[$0] }, shown.map { skinColours[$0] }, covered)
    }

    static let tZone = ["forehead", "glabella", "nose", "chin"], uZone = ["right_cheek", "left_cheek"]

    /// The T-zone's and the U-zone's specular shares and fractions, each skin-pixel-weighted over
    /// its zones (the per-zone shine is already relative to the local skin brightness), as the
    /// whole face's shine is (`RegionAggregate.combinedShine`). Nil without skin in either, or
    /// where shine is not measured.
    static func oiliness(_ regions: [RegionMeasures]) -> Oiliness? {
        func shine(_ names: [String]) -> (share: Double, fraction: Double)? {
            let zones = regions.filter { names.contains($0.region) }
            let skin = zones.reduce(0) { $0 + $1.skinPixelCount }
            guard skin > 0 else { return nil }
            func weighted(_ value: (SkinConcerns.Shine) -> Double?) -> Double? {
                var sum = 0.0
                for zone in zones {
                    guard let measured = value(zone.concerns.shine) else { return nil }
                    sum += measured * Double(zone.skinPixelCount)
                }
                return sum / Double(skin)
            }
            guard let share = weighted(\.specularShare), let fraction = weighted(\.specularFraction) else { return nil }
            return (share, fraction)
        }
        guard let t = shine(tZone), let u = shine(uZone) else { return nil }
        return Oiliness(tZoneSpecularShare: t.share, uZoneSpecularShare: u.share, tZoneSpecularFraction: t.fraction, uZoneSpecularFraction: u.fraction)
    }

    /// Each under-eye zone's median skin colour (marks included: a dark circle is itself darker than
    /// the mark threshold) against its side's cheek zone: ΔL* (cheek − under-eye) and CIE76 ΔE*ab.
    /// Nil when one of the four zones has no skin.
    static func darkCircles(_ zones: [(name: String, colour: CIELab?)]) -> DarkCircles? {
        let colours = Dictionary(zones.compactMap { name, colour in colour.map { (name, $0) } }, uniquingKeysWith: { first, _ in first })
        func side(_ underEye: String, _ cheek: String) -> DarkCircles.Side? {
            guard let eye = colours[underEye], let below = colours[cheek] else { return nil }
            return .init(deltaLStar: below.l - eye.l, deltaE: CIELab.deltaE76(below, eye))
        }
        guard let right = side("right_under_eye", "right_cheek"), let left = side("left_under_eye", "left_cheek") else { return nil }
        return DarkCircles(right: right, left: left)
    }

    /// Where the measured crop will most likely be, before the mesh has said it: the face box
    /// widened by a quarter of its width on each side, 0.3 of its height above and 0.4 below
    /// (the mesh's zones reach at most 0.04 of the box beyond its sides, 0.09 above and 0.18 below
    /// on the benchmark photo and the four portraits; the box's own layout stays inside it).
    static func likelyWindow(around face: PixelRect, width: Int, height: Int) -> PixelRect {
        let dx = face.width / 4, up = face.height * 3 / 10, down = face.height * 4 / 10
        return PixelRect(x: face.x - dx, y: face.y - up, width: face.width + 2 * dx, height: face.height + up + down)
            .clipped(width: width, height: height)
    }

    /// The measured crop: the box's fixed layout (brow to chin, temple to temple) grown to hold
    /// every zone's bounding box, inside the photo — so that a zone the mesh places beyond the
    /// box's layout (the crow's feet of a face the box sits off-centre on) is still measured.
    static func measuredCrop(layout: [NamedRegion], zones: [NamedRegion], width: Int, height: Int) -> PixelRect {
        PixelRect.enclosing(layout.map(\.rect) + zones.map(\.rect))!.clipped(width: width, height: height)
    }

    /// Exactly one face of sufficient size, or the matching error.
    static func locateFace(
        _ image: DecodedImage, detector: FaceDetector, configuration: FaceAnalysisConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> FaceDetection {
        try locateFace(
            in: detector.detect(in: image, minimumWidth: narrowestConsidered(imageWidth: image.width, configuration), arena: arena),
            imageWidth: image.width, configuration: configuration)
    }

    /// The rolls, in radians, at which a face the upright search did not find is looked for
    /// again (`FaceDetector.detect(in:rolledBy:)`): ±20°, which with the cascade's own tolerance
    /// of about ±10° covers faces rolled about 10–30° either way.
    static let rolledSearch = [20.0, -20.0].map { $0 * Double.pi / 180 }

    /// The face `locateFace` finds in `image` searched at each roll of `rolledSearch`, the one
    /// with the most support where both find one; nil where neither finds exactly one of
    /// sufficient size. The mesh then reads its roll, and the pose check refuses it past ±15°.
    static func locateRolledFace(
        in image: DecodedImage, detector: FaceDetector, configuration: FaceAnalysisConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> FaceDetection? {
        var found: [FaceDetection] = []
        for roll in rolledSearch {
            let detections = try detector.detect(
                in: image, rolledBy: roll, minimumWidth: narrowestConsidered(imageWidth: image.width, configuration), arena: arena)
            if let face = try? locateFace(in: detections, imageWidth: image.width, configuration: configuration) { found.append(face) }
        }
        return found.max { $0.neighbours < $1.neighbours }
    }

    /// The face mesh's own verdict on the detector's box: its face-presence probability at least
    /// `FaceLandmarker.minimumPresence`, as MediaPipe's face landmarker requires (its
    /// `min_face_presence_confidence`, 0.5). The cascade's false positives — more of them now that
    /// a face the upright search misses is looked for rolled — end here as `face_not_found`.
    static func confirmFace(_ mesh: FaceLandmarks) throws(LetheError) {
        guard mesh.presence >= FaceLandmarker.minimumPresence else {
            throw LetheError(
                .faceNotFound,
                "no frontal face was found in the photo: the face mesh sees none in the detector's box (presence \(String(format: "%.2f", mesh.presence)), below \(FaceLandmarker.minimumPresence))")
        }
    }

    /// The narrowest detection `locateFace` considers in an image `imageWidth` wide: narrower ones
    /// are ignored (background faces, noise), so the detector need not look for them.
    static func narrowestConsidered(imageWidth: Int, _ configuration: FaceAnalysisConfiguration) -> Double {
        configuration.minFaceWidthFraction * Double(imageWidth) * configuration.ignoreBelowFractionOfMinimum
    }

    /// Exactly one face of sufficient size among `detections` of an image `imageWidth` wide, or the matching error.
    static func locateFace(in detections: [FaceDetection], imageWidth: Int, configuration: FaceAnalysisConfiguration) throws(LetheError) -> FaceDetection {
        try exactlyOne(candidateFaces(in: detections, imageWidth: imageWidth, configuration: configuration), imageWidth: imageWidth, configuration: configuration)
    }

    /// The detections `locateFace` counts as faces: wide enough to consider, and with at least
    /// `secondaryFaceMinimumSupport` of the best-supported one's hits.
    static func candidateFaces(in detections: [FaceDetection], imageWidth: Int, configuration: FaceAnalysisConfiguration) -> [FaceDetection] {
        let candidates = detections.filter { Double($0.box.width) >= narrowestConsidered(imageWidth: imageWidth, configuration) }
        let strongest = candidates.map(\.neighbours).max() ?? 0
        return candidates.filter { Double($0.neighbours) >= configuration.secondaryFaceMinimumSupport * Double(strongest) }
    }

    /// The one face of `faces`, of sufficient size, or the matching error.
    static func exactlyOne(_ faces: [FaceDetection], imageWidth: Int, configuration: FaceAnalysisConfiguration) throws(LetheError) -> FaceDetection {
        guard let face = faces.first else { throw .faceNotFound }
        guard faces.count == 1 else { throw .multipleFaces(faces.count) }
        guard Double(face.box.width) >= configuration.minFaceWidthFraction * Double(imageWidth) else {
            throw .faceTooSmall(widthFraction: Double(face.box.width) / Double(imageWidth), minimum: configuration.minFaceWidthFraction)
        }
        return face
    }

    /// Where the cascade counts more than one face, the faces the face mesh confirms
    /// (`confirmFace`), so that a false positive beside the face — the astronaut turned −20° on a
    /// grown canvas: a second box of presence 0.01 beside the face's 0.99999 — is not a second
    /// face; a mesh per candidate (≈ 10 ms each), only on this path. Returns the face with its
    /// mesh, which the analysis then uses rather than evaluate it again.
    static func confirmedFace(
        among faces: [FaceDetection], in image: DecodedImage, landmarker: FaceLandmarker, configuration: FaceAnalysisConfiguration,
        arena: PlaintextArena
    ) throws(LetheError) -> (face: FaceDetection, mesh: FaceLandmarks) {
        var confirmed: [(face: FaceDetection, mesh: FaceLandmarks)] = []
        for face in faces {
            let mesh = try landmarker.landmarks(in: image, face: face, arena: arena)
            if mesh.presence >= FaceLandmarker.minimumPresence { confirmed.append((face, mesh)) }
        }
        let face = try exactlyOne(confirmed.map(\.face), imageWidth: image.width, configuration: configuration)
        return confirmed.first { $0.face == face }!
    }
}

extension RegionMeasures {
    /// Whether a face's zone is covered past `limit` of its surface (`FaceAnalysisConfiguration.maxZoneCoveredFraction`)
    /// or shows no skin pixel: not measured.
    func isCovered(limit: Double) -> Bool { skinPixelCount == 0 || (coveredFraction ?? 0) > limit }
}
