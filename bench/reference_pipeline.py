#!/usr/bin/env python3
"""The baseline Lethe is compared with: the same core skin measures of a face photo, written the
way a user of numpy and OpenCV (opencv-python-headless 4.x from PyPI) would write them, with no
encryption, no wiping and no ledger.

Per photo: decode the whole file → exposure and sharpness (variance of the Laplacian) → the
frontal-face Haar cascade (the same model file Lethe loads) on a 256-pixel working copy → the face
box resampled to 640 pixels wide → CIELAB and a YCbCr skin mask (Chai & Ngan 1999) → dark marks
(spots) by local L* contrast against a normalised-convolution background, counted with
connected components → ITA° and mean a* of the clear skin.

Usage: reference_pipeline.py [--repeat N] [--cascade FILE] PHOTO…
Prints one JSON object: the measures of each photo and the median seconds per photo.
"""
import argparse
import json
import math
import statistics
import sys
import time

import cv2
import numpy as np


# Lethe's FaceRegions.layout: (x, y, width, height) as fractions of the detector's box.
REGIONS = [(0.22, 0.02, 0.56, 0.23), (0.18, 0.45, 0.24, 0.09), (0.58, 0.45, 0.24, 0.09), (0.13, 0.56, 0.24, 0.22),
           (0.63, 0.56, 0.24, 0.22), (0.41, 0.40, 0.18, 0.30), (0.36, 0.89, 0.28, 0.14)]


def analyse(path, cascade):
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
    x, y, w, h = (int(v) * factor for v in faces[int(np.argmax(neighbours))])
    # Forehead to chin, like Lethe's regions (the chin reaches ~1.1 box heights down).
    face = bgr[y:min(height, y + int(1.1 * h)), x:x + w]
    scale = 640 / face.shape[1]
    face = cv2.resize(face, (640, max(1, int(face.shape[0] * scale))), interpolation=cv2.INTER_AREA)

    lab = cv2.cvtColor(face.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)
    lightness, a_star, b_star = lab[..., 0], lab[..., 1], lab[..., 2]
    ycrcb = cv2.cvtColor(face, cv2.COLOR_BGR2YCrCb)
    luma, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    skin = (cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173) & (luma >= 20) & (luma <= 250)
    # Only forehead, under-eyes, cheeks, nose and chin (Lethe's layout, fractions of the face box).
    regions = np.zeros_like(skin)
    for rx, ry, rw, rh in REGIONS:
        regions[int(ry * 640):int((ry + rh) * 640), int(rx * 640):int((rx + rw) * 640)] = True
    skin &= regions

    # Local contrast: L* (3×3 box) minus the skin-weighted background (normalised convolution).
    weight = skin.astype(np.float32)
    box = (2 * 12 + 1, 2 * 12 + 1)
    background = cv2.blur(lightness * weight, box) / np.maximum(cv2.blur(weight, box), 1e-6)
    contrast = cv2.blur(lightness, (3, 3)) - background
    dark = ((contrast <= -5) & skin).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    areas = stats[1:, cv2.CC_STAT_AREA]
    diameters = 2 * np.sqrt(areas / math.pi)
    millimetres_per_pixel = 140 / 640  # the face box taken as 140 mm wide, as Lethe does
    spots = int(np.count_nonzero((areas >= 3) & (diameters * millimetres_per_pixel > 0.5) & (diameters * millimetres_per_pixel <= 12)))

    clear = skin & (dark == 0)
    mean_l, mean_a, mean_b = (float(plane[clear].mean()) for plane in (lightness, a_star, b_star))
    return {
        "photo": path,
        "size": [width, height],
        "face_box": [x, y, w, h],
        "mean_luma": round(mean_luma, 2),
        "laplacian_variance": round(sharpness, 1),
        "skin_fraction": round(float(skin.mean()), 4),
        "ita_degrees": round(math.degrees(math.atan2(mean_l - 50, mean_b)), 2),
        "mean_a_star": round(mean_a, 2),
        "spots": spots,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cascade", default="Config/models/haarcascade_frontalface_default.xml")
    arguments = parser.parse_args()
    cascade = cv2.CascadeClassifier(arguments.cascade)
    if cascade.empty():
        sys.exit(f"cannot load the cascade {arguments.cascade}")
    measures = [analyse(path, cascade) for path in arguments.photos]  # also warms up
    timings = []
    for _ in range(arguments.repeat):
        for path in arguments.photos:
            started = time.perf_counter()
            analyse(path, cascade)
            timings.append(time.perf_counter() - started)
    print(json.dumps({
        "opencv": cv2.__version__,
        "threads": cv2.getNumThreads(),
        "runs": len(timings),
        "median_seconds": statistics.median(timings),
        "measures": measures,
    }, indent=2))


if __name__ == "__main__":
    main()
