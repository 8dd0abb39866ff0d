#!/usr/bin/env python3
"""The baseline Lethe is compared with: the core measures Lethe reports for a face photo, written
the way a team using numpy, OpenCV (opencv-python-headless 4.x) and MediaPipe (0.10.21, the same
face mesh model Lethe evaluates) would write them, vectorised, with no encryption, no wiping and
no ledger (issue 15: "the reference must compute the same core measures as Lethe").

Per photo, as Lethe's face analysis does it (docs/analysis/face.md, skin.md):
decode the whole file → exposure and sharpness (variance of the Laplacian) on a 256-pixel copy →
the frontal-face Haar cascade (the same model file) for the face box and the scale (the box taken
as 140 mm wide) → MediaPipe's face mesh (468 points) → the face's crop resampled (area average)
to the canonical frame, at most 512 px between the eye centres → skin: the mesh's face oval minus
eyes, brows, lips and nostrils, each grown (×1.1–1.35) and widened by 3 mm, and the YCbCr skin rule (Chai & Ngan 1999) →
CIELAB, erythema index, the face's median brought to L* 66.5 → dark marks by local L* contrast
against a normalised-convolution background (spots, pores) → wrinkles: Frangi vesselness of dark
lines at seven σ²-normalised Hessian scales (widths 0.3–3 mm; the coarse four on a pyramid level
of half the size) over the skin by normalised convolution, both flanks brighter (no step edges),
hysteresis 0.2/0.4, lines ≥ 3 mm long by their principal axis → evenness: the green lightness
band-passed to σ 2…12 mm over the clear skin, and the mean ΔE from the clear skin's median → texture: the L* band σ 0.25…1 mm → shine: pixels
brighter than the skin's mean by 12 L* with low chroma, and the light above 1.3 × the skin
background's luminance as a share of it → redness: erythema index, red area
(a* ≥ median + 5) → radiance → ITA° and a* of the clear skin. The rules are Lethe's with its
default thresholds, without its finer ones (a mark's shape and surroundings, centrelines and their
gaps, clipped pixels, the thirteen zones, the pose and quality gates, papules, dark circles), so
its figures differ from Lethe's (the bench prints both): a baseline for the work, not a second
implementation of the results. Tuned after cProfile as a team would: direct Gaussian kernels of
σ up to 90 px took 1.8 of 3.1 s for two photos, so large σ are three box passes; the 3 mm margin
is a distance transform instead of a dilation; the coarse line scales run on half the pixels.

Usage: reference_pipeline.py [--repeat N] [--threads N] [--cascade FILE] PHOTO…
Prints one JSON object: the measures of each photo, the median seconds per photo and the seconds
of the timed runs (for a throughput, bench/run starts one such process per core, one thread each,
all timing from the same `--start-at`).
"""
import argparse
import json
import math
import statistics
import sys
import time

import cv2
import mediapipe as mp
import numpy as np

INTER_OCULAR_PIXELS = 512
FACE_BOX_MILLIMETRES = 140
MARGIN_MILLIMETRES = 3
# MediaPipe mesh indices: eye corners (33/133 image left, 362/263 image right) and the nostrils.
RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS = (33, 133), (362, 263)
NOSTRILS = [48, 64, 98, 97, 2, 326, 327, 294, 278, 219, 439, 59, 289]


def points_of(connections):
    return sorted({index for edge in connections for index in edge})


def hull_mask(shape, points, grow=1.0):
    centre = points.mean(axis=0)
    grown = centre + (points - centre) * grow
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(grown).astype(np.int32)), 1)
    return mask


def gaussian(plane, sigma):
    """A Gaussian blur of σ: OpenCV's own kernel for small σ; above 3 px three box passes
    (`cv2.blur`, whose cost does not grow with the radius) of the radius whose variance r(r + 1)
    is σ², as Lethe's box filters do (a direct kernel of σ 90 px costs ~70 ms a plane)."""
    if sigma <= 3:
        return cv2.GaussianBlur(plane, (0, 0), sigma)
    radius = max(1, int(round((math.sqrt(1 + 4 * sigma * sigma) - 1) / 2)))
    for _ in range(3):
        plane = cv2.blur(plane, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)
    return plane


def smooth_over(plane, weight, sigma):
    """Normalised convolution (Knutsson & Westin 1993): the plane averaged over `weight` only."""
    total = gaussian(weight, sigma)
    return gaussian(plane * weight, sigma) / np.maximum(total, 1e-3), total


def lightness(linear):
    """CIELAB L* of a linear luminance (Y/Yn)."""
    return np.where(linear > 0.008856, 116 * np.cbrt(linear) - 16, 903.3 * linear)


FRANGI_C = 0.385 * 4  # Frangi's c: the σ²-normalised response of a 4 ΔL* line (0.385 × its depth)
SECOND_CROSS = np.array([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], np.float32) / 4


def pixel_grid(shape):
    """Each pixel's x and y, as `cv2.remap` takes them."""
    height, width = shape
    return np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))


def vesselness(l_star, weight, fine, grid, sigma):
    """One scale on one grid: L* by normalised convolution over the skin, the σ²-normalised
    Hessian by central differences, Frangi's vesselness of dark lines (β 0.5), kept where both
    flanks, 2σ across the line on the finest L*, are brighter than the centre and alike."""
    smoothed, total = smooth_over(l_star, weight, sigma)
    dxx = cv2.Sobel(smoothed, cv2.CV_32F, 2, 0, ksize=1) * sigma ** 2
    dyy = cv2.Sobel(smoothed, cv2.CV_32F, 0, 2, ksize=1) * sigma ** 2
    dxy = cv2.filter2D(smoothed, cv2.CV_32F, SECOND_CROSS) * sigma ** 2
    root = np.sqrt((dxx - dyy) ** 2 + 4 * dxy ** 2)
    large, small = (dxx + dyy + root) / 2, (dxx + dyy - root) / 2
    blob = small / np.where(large > 0, large, 1)
    response = np.where((large > 0) & (total > 0.5),
                        np.exp(-blob ** 2 / (2 * 0.5 ** 2)) * (1 - np.exp(-(large ** 2 + small ** 2) / (2 * FRANGI_C ** 2))), 0)
    angle = 0.5 * np.arctan2(2 * dxy, dxx - dyy)  # the larger eigenvalue's direction: across the line
    grid_x, grid_y = grid
    nx, ny = np.cos(angle) * 2 * sigma, np.sin(angle) * 2 * sigma
    one = cv2.remap(fine, grid_x + nx, grid_y + ny, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) - fine
    other = cv2.remap(fine, grid_x - nx, grid_y - ny, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) - fine
    flanked = (np.minimum(one, other) >= 1) & (np.minimum(one, other) >= 0.3 * np.maximum(one, other))
    return np.where(flanked, response, 0).astype(np.float32)


def lines(l_star, skin, millimetres):
    """Dark lines at seven scales (widths 0.3–3 mm, σ = 0.6 × width): count and total length in
    mm. Scales of σ ≥ 4.4 px run on a pyramid level of half the size (area average, σ halved) and
    their response is enlarged back, as Lethe runs its coarse scales on 2 × 2 blocks."""
    weight = skin.astype(np.float32)
    fine, _ = smooth_over(l_star, weight, 1.0)
    height, width = l_star.shape
    half = (width // 2, height // 2)
    halved = [cv2.resize(plane, half, interpolation=cv2.INTER_AREA) for plane in (l_star * weight, weight, fine)]
    l_half = halved[0] / np.maximum(halved[1], 1e-3)
    grid, half_grid = pixel_grid(l_star.shape), pixel_grid(l_half.shape)
    best = np.zeros_like(l_star)
    for width_mm in np.geomspace(0.3, 3, 7):
        sigma = max(0.6 * width_mm / millimetres, 1.0)
        if sigma >= 4.4:
            response = cv2.resize(vesselness(l_half, halved[1], halved[2], half_grid, sigma / 2), (width, height), interpolation=cv2.INTER_LINEAR)
        else:
            response = vesselness(l_star, weight, fine, grid, sigma)
        np.maximum(best, response, out=best)
    low = ((best >= 0.2) & skin).astype(np.uint8)
    count, labels = cv2.connectedComponents(low, connectivity=8)
    kept = np.zeros(count, bool)
    kept[np.unique(labels[best >= 0.4])] = True
    kept[0] = False
    # Length: each component's extent along its principal axis, from its position moments.
    ys, xs = np.nonzero(kept[labels])
    label = labels[ys, xs]
    n = np.bincount(label, minlength=count).astype(np.float64)
    safe = np.maximum(n, 1)
    mx, my = np.bincount(label, xs, count) / safe, np.bincount(label, ys, count) / safe
    sxx = np.bincount(label, xs * xs, count) / safe - mx ** 2
    syy = np.bincount(label, ys * ys, count) / safe - my ** 2
    sxy = np.bincount(label, xs * ys, count) / safe - mx * my
    spread = (sxx + syy) / 2 + np.sqrt(((sxx - syy) / 2) ** 2 + sxy ** 2)
    length = np.sqrt(12 * np.maximum(spread, 0)) * millimetres  # a uniform segment's variance is L²/12
    long_enough = kept & (length >= 3)
    return int(long_enough.sum()), float(length[long_enough].sum())


def analyse(path, cascade, mesh):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot decode {path}")
    height, width = bgr.shape[:2]
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    mean_luma = float(grey.mean())

    factor = max(1, min(width, height) // 256)
    small = cv2.resize(grey, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
    sharpness = float(cv2.Laplacian(small, cv2.CV_32F).var())
    faces, neighbours = cascade.detectMultiScale2(small, scaleFactor=1.1, minNeighbors=5)
    if len(faces) == 0:
        raise ValueError(f"no face in {path}")
    # The best-supported detection (the cascade also fires weakly on the suit's patches).
    box = [int(v) * factor for v in faces[int(np.argmax(neighbours))]]
    found = mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).multi_face_landmarks
    if not found:
        raise ValueError(f"no face mesh in {path}")
    points = np.array([(p.x * width, p.y * height) for p in found[0].landmark])

    # The canonical frame: the face's crop, area-averaged to at most 512 px between the eyes.
    inter_ocular = np.linalg.norm(points[list(LEFT_EYE_CORNERS)].mean(0) - points[list(RIGHT_EYE_CORNERS)].mean(0))
    scale = min(1.0, INTER_OCULAR_PIXELS / inter_ocular)
    x0, y0 = np.maximum(points.min(0) - 0.05 * inter_ocular, 0).astype(int)
    x1, y1 = np.minimum(points.max(0) + 0.05 * inter_ocular, [width, height]).astype(int)
    face = cv2.resize(bgr[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    points = (points - [x0, y0]) * scale
    millimetres = FACE_BOX_MILLIMETRES / box[2] / scale

    # Skin: the face oval minus eyes, brows, lips, nostrils (each grown, then 3 mm more), skin-coloured.
    shape = face.shape[:2]
    connections = mp.solutions.face_mesh_connections
    excluded = np.zeros(shape, np.uint8)
    for part, grow in ((connections.FACEMESH_LEFT_EYE, 1.35), (connections.FACEMESH_RIGHT_EYE, 1.35), (connections.FACEMESH_LEFT_EYEBROW, 1.3),
                       (connections.FACEMESH_RIGHT_EYEBROW, 1.3), (connections.FACEMESH_LIPS, 1.1)):
        excluded |= hull_mask(shape, points[points_of(part)], grow)
    excluded |= hull_mask(shape, points[NOSTRILS], 1.15)
    excluded = cv2.distanceTransform(1 - excluded, cv2.DIST_L2, 3) <= MARGIN_MILLIMETRES / millimetres
    ycrcb = cv2.cvtColor(face, cv2.COLOR_BGR2YCrCb)
    luma, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    skin_coloured = (cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173) & (luma >= 20) & (luma <= 250)
    skin = (hull_mask(shape, points[points_of(connections.FACEMESH_FACE_OVAL)]) > 0) & ~excluded & skin_coloured

    # Colour: linear RGB, CIELAB, erythema index; the face's median normalised to L* 66.5.
    codes = np.arange(256) / 255
    linear = np.where(codes <= 0.04045, codes / 12.92, ((codes + 0.055) / 1.055) ** 2.4).astype(np.float32)[face]
    blue, green, red = linear[..., 0], linear[..., 1], linear[..., 2]
    lab = cv2.cvtColor(face.astype(np.float32) / 255, cv2.COLOR_BGR2Lab)
    gamma = (66.5 + 16) / (float(np.median(lab[..., 0][skin])) + 16)
    l_star, a_star, b_star = (lab[..., 0] + 16) * gamma - 16, lab[..., 1] * gamma, lab[..., 2] * gamma
    erythema = 100 * np.log10(np.maximum(red, 1e-4) / np.maximum(green, 1e-4))

    # Dark marks: L* against its skin background (σ 2 mm), components by size in mm.
    weight = skin.astype(np.float32)
    background, _ = smooth_over(l_star, weight, 2 / millimetres)
    contrast = cv2.blur(l_star, (3, 3)) - background
    dark = ((contrast <= -5) & skin).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    diameters = 2 * np.sqrt(stats[1:, cv2.CC_STAT_AREA] / math.pi) * millimetres
    marks = stats[1:, cv2.CC_STAT_AREA] >= 3
    spots = int(np.count_nonzero(marks & (diameters > 0.5) & (diameters <= 12)))
    pores = int(np.count_nonzero(marks & (diameters <= 0.5)))
    clear = skin & (dark == 0)

    line_count, line_length = lines(l_star, skin, millimetres)

    # Evenness: green lightness band-passed to σ 2…12 mm over the clear skin; ΔE from its median.
    clear_weight = clear.astype(np.float32)
    green_lightness = lightness(green).astype(np.float32)
    band = smooth_over(green_lightness, clear_weight, 2 / millimetres)[0] - smooth_over(green_lightness, clear_weight, 12 / millimetres)[0]
    median = np.array([np.median(plane[clear]) for plane in (l_star, a_star, b_star)])
    delta_e = np.sqrt((l_star - median[0]) ** 2 + (a_star - median[1]) ** 2 + (b_star - median[2]) ** 2)
    # Texture: L* band σ 0.25…1 mm over the clear skin.
    texture = smooth_over(l_star, clear_weight, max(0.25 / millimetres, 0.5))[0] - smooth_over(l_star, clear_weight, 1 / millimetres)[0]
    # Shine: brighter than the skin's mean by 12 L* and at most half its chroma.
    chroma = np.hypot(a_star, b_star)
    shiny = skin & (l_star >= l_star[skin].mean() + 12) & (chroma <= 0.5 * chroma[skin].mean())
    # Shine's light: the luminance of L* smoothed (3 × 3, twice) above 1.3 × its skin background's, / the background's.
    def luminance_of(lightness_plane):
        f = (lightness_plane + 16) / 116
        return np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29))
    surrounding = luminance_of(background)[skin]
    highlights = np.maximum(luminance_of(cv2.blur(cv2.blur(l_star, (3, 3)), (3, 3)))[skin] - 1.3 * surrounding, 0)
    # Redness: a* above the skin's median by 5; radiance: luminance and its evenness over the clear skin.
    red_area = float(np.mean(a_star[skin] >= np.median(a_star[skin]) + 5))
    luminance = (0.2126 * red + 0.7152 * green + 0.0722 * blue)[clear]

    mean_l, mean_a, mean_b = (float(plane[clear].mean()) for plane in (lab[..., 0], lab[..., 1], lab[..., 2]))
    return {
        "photo": path,
        "size": [width, height],
        "face_box": box,
        "working_size": [shape[1], shape[0]],
        "millimetres_per_working_pixel": round(millimetres, 4),
        "mean_luma": round(mean_luma, 2),
        "laplacian_variance": round(sharpness, 1),
        "skin_fraction": round(float(skin.mean()), 4),
        "ita_degrees": round(math.degrees(math.atan2(mean_l - 50, mean_b)), 2),
        "mean_a_star": round(mean_a, 2),
        "erythema_index": round(float(erythema[clear].mean()), 2),
        "red_area_fraction": round(red_area, 4),
        "spots": spots,
        "pores": pores,
        "lines": line_count,
        "line_length_mm": round(line_length, 1),
        "evenness_band_sd": round(float(band[clear].std()), 3),
        "evenness_mean_delta_e": round(float(delta_e[clear].mean()), 2),
        "texture_roughness": round(float(texture[clear].std()), 3),
        "shine_fraction": round(float(shiny.sum() / max(1, skin.sum())), 4),
        "shine_share": round(float(highlights.sum() / max(float(surrounding.sum()), 1e-9)), 4),
        "radiance_luminance": round(float(luminance.mean()), 4),
        "radiance_uniformity": round(float(1 - luminance.std() / max(luminance.mean(), 1e-6)), 4),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="OpenCV's threads (0: its default, one per core)")
    parser.add_argument("--start-at", type=float, default=0,
                        help="POSIX time at which the timed runs begin, after the warm-up (processes started together run together)")
    parser.add_argument("--cascade", default="Config/models/haarcascade_frontalface_default.xml")
    arguments = parser.parse_args()
    if arguments.threads > 0:
        cv2.setNumThreads(arguments.threads)
    cascade = cv2.CascadeClassifier(arguments.cascade)
    if cascade.empty():
        sys.exit(f"cannot load the cascade {arguments.cascade}")
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1) as mesh:
        measures = [analyse(path, cascade, mesh) for path in arguments.photos]  # also warms up
        if arguments.start_at > time.time():
            time.sleep(arguments.start_at - time.time())
        began = time.time()
        timings = []
        for _ in range(arguments.repeat):
            for path in arguments.photos:
                started = time.perf_counter()
                analyse(path, cascade, mesh)
                timings.append(time.perf_counter() - started)
    print(json.dumps({
        "opencv": cv2.__version__,
        "mediapipe": mp.__version__,
        "threads": cv2.getNumThreads(),
        "runs": len(timings),
        "median_seconds": statistics.median(timings),
        "total_seconds": sum(timings),
        "wall_seconds": time.time() - began,
        "measures": measures,
    }, indent=2))


if __name__ == "__main__":
    main()
