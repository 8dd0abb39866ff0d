import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

@Suite("Quality gate")
struct QualityGateTests {
    static let skin = RGB(224, 172, 140)

    func code(_ image: DecodedImage, _ configuration: SkinAnalysisConfiguration = .init(), arena: PlaintextArena) -> LetheError? {
        do {
            _ = try SkinAnalyzer.analyze(image, configuration: configuration, arena: arena)
            return nil
        } catch {
            return error
        }
    }

    @Test("a sharp skin texture passes")
    func sharpSkinPasses() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(Self.skin, arena: arena)
        #expect(code(image, arena: arena) == nil)
        #expect(arena.wipeAll().verified)
    }

    @Test("shorter side below the minimum → image_too_small")
    func tooSmall() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(Self.skin, width: 300, height: 100, arena: arena)
        let error = code(image, arena: arena)
        #expect(error?.code.rawValue == "image_too_small")
        #expect(error?.message.contains("128") == true)
        // No intermediate was allocated for a refused size.
        #expect(arena.wipeAll().bytesByClass[BufferClass.intermediate.rawValue] == 0)
    }

    @Test("dark image → lighting_too_dark with value and threshold")
    func tooDark() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(RGB(50, 30, 22), amplitude: 10, arena: arena)
        let error = code(image, arena: arena)
        #expect(error?.code.rawValue == "lighting_too_dark")
        #expect(error?.message.contains("is below 40") == true, "\(String(describing: error))")
        #expect(arena.wipeAll().verified)
    }

    @Test("a black-and-white close-up → image_greyscale, before no_skin_detected: its channels equal, or within 4 codes as a colour file stores a grey; 1 % of the pixels in colour passes the check")
    func greyscale() throws {
        let arena = PlaintextArena()
        let grey = try SyntheticImages.texture(RGB(170, 170, 170), arena: arena)
        let error = code(grey, arena: arena)
        #expect(error?.code.rawValue == "image_greyscale")
        #expect(error?.message.contains("0% of the pixels show colour, below 0.5%") == true, "\(String(describing: error))")
        var generator = SeededGenerator(seed: 9)
        let storedAsColour = try SyntheticImages.make(width: 200, height: 200, arena: arena) { x, y in
            let v = 120 + (x * 7 + y * 13) % 60
            func jitter(_ spread: Int) -> UInt8 { SyntheticImages.clamp(v + Int.random(in: -spread...spread, using: &generator)) }
            return RGB(jitter(2), jitter(1), jitter(2))
        }
        #expect(code(storedAsColour, arena: arena)?.code.rawValue == "image_greyscale")
        // 400 of 40,000 pixels skin-coloured: colour enough; too little skin for a close-up (2 %).
        let patch = try SyntheticImages.texture(RGB(170, 170, 170), arena: arena) { x, y in x < 20 && y < 20 ? Self.skin : nil }
        #expect(code(patch, arena: arena)?.code.rawValue == "no_skin_detected")
        #expect(arena.wipeAll().verified)
    }

    @Test("bright image → lighting_too_bright")
    func tooBright() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(RGB(250, 238, 230), amplitude: 8, arena: arena)
        let error = code(image, arena: arena)
        #expect(error?.code.rawValue == "lighting_too_bright")
        #expect(error?.message.contains("is above 220") == true, "\(String(describing: error))")
        #expect(arena.wipeAll().verified)
    }

    @Test("mostly clipped highlights → lighting_too_bright even with an acceptable mean")
    func clippedHighlights() throws {
        let arena = PlaintextArena()
        // Half white (luma 255), half darker skin texture: mean ≈ 180, 50 % clipped.
        var generator = SeededGenerator(seed: 5)
        let image = try SyntheticImages.make(width: 200, height: 200, arena: arena) { x, _ in
            let noise = Int.random(in: -15...15, using: &generator)
            return x < 100 ? RGB(255, 255, 255)
                : RGB(SyntheticImages.clamp(141 + noise), SyntheticImages.clamp(85 + noise), SyntheticImages.clamp(54 + noise))
        }
        let error = code(image, arena: arena)
        #expect(error?.code.rawValue == "lighting_too_bright")
        #expect(error?.message.contains("clipped") == true)
        #expect(arena.wipeAll().verified)
    }

    @Test("the same texture blurred by the test's Gaussian → image_blurry")
    func blurred() throws {
        let arena = PlaintextArena()
        let sharp = try SyntheticImages.texture(Self.skin, arena: arena)
        let blurred = try SyntheticImages.gaussianBlur(sharp, sigma: 2, arena: arena)
        #expect(code(sharp, arena: arena) == nil)
        let error = code(blurred, arena: arena)
        #expect(error?.code.rawValue == "image_blurry")
        // Uniform noise blurred by σ = 2 keeps almost no detail: the Laplacian floor (2) or the blur
        // index (0.42) refuses it, whichever is checked first.
        let message = error?.message ?? ""
        #expect(message.contains("blur index") || message.contains("Laplacian variance"), "\(message)")
        #expect(arena.wipeAll().verified)
    }

    @Test("blue texture → no_skin_detected")
    func noSkin() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(RGB(40, 80, 200), arena: arena)
        let error = code(image, arena: arena)
        #expect(error?.code.rawValue == "no_skin_detected")
        #expect(error?.message.contains("2%") == true)
        #expect(arena.wipeAll().verified)
    }

    @Test("gate order: size, then exposure, then blur, then skin")
    func order() throws {
        let arena = PlaintextArena()
        let tinyDarkBlue = try SyntheticImages.uniform(RGB(5, 5, 30), width: 64, height: 64, arena: arena)
        #expect(code(tinyDarkBlue, arena: arena)?.code.rawValue == "image_too_small")
        let darkFlatBlue = try SyntheticImages.uniform(RGB(5, 5, 30), arena: arena)
        #expect(code(darkFlatBlue, arena: arena)?.code.rawValue == "lighting_too_dark")
        let flatBlue = try SyntheticImages.uniform(RGB(40, 80, 200), arena: arena)
        #expect(code(flatBlue, arena: arena)?.code.rawValue == "image_blurry")
        let sharpBlue = try SyntheticImages.texture(RGB(40, 80, 200), arena: arena)
        #expect(code(sharpBlue, arena: arena)?.code.rawValue == "no_skin_detected")
        #expect(arena.wipeAll().verified)
    }
}

/// Focus on close-ups (issue 16.6): the gate tells a sharp smooth skin close-up from the same
/// close-up blurred, whatever the contrast of its detail. The threshold was chosen on seeds
/// 11–13 (see docs/analysis/skin.md); these tests use seeds 21–24, which no tuning saw.
@Suite("Focus on smooth close-ups")
struct FocusTests {
    static let heldOutSeeds: [UInt64] = [21, 22, 23, 24]

    func code(_ image: DecodedImage, arena: PlaintextArena) -> LetheError? {
        do {
            _ = try SkinAnalyzer.analyze(image, configuration: .init(), arena: arena)
            return nil
        } catch {
            return error
        }
    }

    @Test("a sharp smooth close-up passes at every contrast; the same blurred (σ ≥ 1.5 px) is image_blurry",
          arguments: [1.5, 3, 6, 12, 24])
    func sharpPassesBlurredRefused(contrastLStar: Double) throws {
        for seed in Self.heldOutSeeds {
            let arena = PlaintextArena()
            let sharp = try SmoothCloseUp(seed: seed, contrastLStar: contrastLStar).render(seed: seed, arena: arena)
            let error = code(sharp, arena: arena)
            #expect(error == nil, "seed \(seed), ΔL* \(contrastLStar): \(String(describing: error))")
            for sigma in [1.5, 2, 3] {
                let blurred = try SyntheticImages.gaussianBlur(sharp, sigma: sigma, arena: arena)
                let refusal = code(blurred, arena: arena)
                #expect(refusal?.code.rawValue == "image_blurry", "seed \(seed), ΔL* \(contrastLStar), σ \(sigma): \(String(describing: refusal))")
            }
            #expect(arena.wipeAll().verified)
        }
    }

    @Test("the faint close-ups are the ones an absolute Laplacian threshold (the former 40) refused")
    func absoluteThresholdWouldRefuse() throws {
        let arena = PlaintextArena()
        for contrast in [1.5, 3.0] {
            let sharp = try SmoothCloseUp(seed: 21, contrastLStar: contrast).render(seed: 21, arena: arena)
            let quality = try SkinAnalyzer.analyze(sharp, configuration: .init(), arena: arena).quality
            #expect(quality.laplacianVariance < 40, "ΔL* \(contrast): \(quality.laplacianVariance)")
            #expect(quality.blurIndex < 0.25, "ΔL* \(contrast): \(quality.blurIndex)")
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("the blur index does not depend on contrast: ×8 contrast moves it by < 0.06, blur by σ = 2 px raises it > 0.5")
    func contrastInvariance() throws {
        let arena = PlaintextArena()
        func blurIndex(_ contrast: Double, sigma: Double) throws -> Double {
            let sharp = try SmoothCloseUp(seed: 22, contrastLStar: contrast).render(seed: 22, arena: arena)
            let image = sigma == 0 ? sharp : try SyntheticImages.gaussianBlur(sharp, sigma: sigma, arena: arena)
            return try SkinAnalyzer.analyze(image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), arena: arena).quality.blurIndex
        }
        let faint = try blurIndex(3, sigma: 0), strong = try blurIndex(24, sigma: 0)
        #expect(abs(faint - strong) < 0.06, "\(faint) vs \(strong)")
        let blurred = try blurIndex(3, sigma: 2)
        #expect(blurred - faint > 0.5, "\(blurred) vs \(faint)")
        #expect(arena.wipeAll().verified)
    }
}
