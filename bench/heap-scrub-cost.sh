#!/usr/bin/env bash
# What zero-on-free costs: `lethe bench` on the same 12-megapixel JPEG (the fixture portrait
# upscaled) with heap scrubbing on and off in its child worker (which inherits
# LETHE_UNSAFE_DISABLE_HEAP_SCRUB), N requests from one device each. Prints the mean server-side
# plaintext lifetime (decrypt → decode → analyse → encrypt → wipe), the client p50, and the ratios.
# Usage: bench/heap-scrub-cost.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-20}
scratch=${LETHE_BENCH_SCRATCH:-.build}
swift build -c release --product lethe --scratch-path "$scratch" >&2
lethe="$scratch/release/lethe"
work=$(mktemp -d /tmp/lethe-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
vips resize Fixtures/astronaut.png "$work/photo.jpg[Q=90]" 7.8125 --vscale 5.859375 >&2
echo "photo: $(vipsheader "$work/photo.jpg"), $(stat -c %s "$work/photo.jpg") bytes" >&2

LETHE_UNSAFE_DISABLE_HEAP_SCRUB=0 "$lethe" bench "$work/photo.jpg" --concurrency 1 --requests "$requests" --json > "$work/on.json"
LETHE_UNSAFE_DISABLE_HEAP_SCRUB=1 "$lethe" bench "$work/photo.jpg" --concurrency 1 --requests "$requests" --json > "$work/off.json"
python3 - "$work/on.json" "$work/off.json" <<'PY'
import json, sys
on, off = (json.load(open(path)) for path in sys.argv[1:3])
print("heap scrub\trequests\tmean plaintext lifetime ms\tclient p50 ms")
for label, run in (("on", on), ("off", off)):
    print(f"{label}\t{run['ok']}\t{run['meanPlaintextLifetimeMilliseconds']:.1f}\t{run['latencyMilliseconds']['p50']:.1f}")
print(f"cost of zero-on-free: lifetime ×{on['meanPlaintextLifetimeMilliseconds'] / off['meanPlaintextLifetimeMilliseconds']:.3f}, "
      f"p50 ×{on['latencyMilliseconds']['p50'] / off['latencyMilliseconds']['p50']:.3f}")
PY
