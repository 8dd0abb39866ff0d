#!/usr/bin/env bash
# What zero-on-free costs: the same worker binary with heap scrubbing on and off, the same photo
# (a 12-megapixel JPEG made from the fixture portrait), N requests each. Prints the median and
# mean server-side plaintext lifetime (decrypt → decode → analyse → encrypt → wipe, from the
# ledger) and the ratio. Usage: bench/heap-scrub-cost.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-20}
swift build -c release --product lethe >&2
lethe=.build/release/lethe
work=$(mktemp -d /tmp/lethe-bench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
vips resize Fixtures/astronaut.png "$work/photo.jpg[Q=90]" 7.8125 --vscale 5.859375 >&2
echo "photo: $(vipsheader "$work/photo.jpg"), $(stat -c %s "$work/photo.jpg") bytes" >&2

run() { # $1 = label, $2 = LETHE_UNSAFE_DISABLE_HEAP_SCRUB value
    local ledger="$work/ledger-$1"
    LETHE_UNSAFE_DISABLE_HEAP_SCRUB=$2 "$lethe" serve --port 0 --ledger-dir "$ledger" > "$work/$1.out" 2> "$work/$1.err" &
    local pid=$!
    until grep -q "listening on" "$work/$1.out" 2>/dev/null; do sleep 0.1; done
    local url token
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/$1.out" | head -1)
    token=$(grep -o -- '--token [^ ]*' "$work/$1.out" | cut -d' ' -f2)
    for _ in $(seq "$requests"); do "$lethe" analyze "$work/photo.jpg" --server "$url" --token "$token" --json > /dev/null; done
    kill -TERM "$pid"; wait "$pid" || true
    python3 - "$ledger/deletions.jsonl" "$1" <<'PY'
import json, statistics, sys
lifetimes = [json.loads(line)["plaintext_lifetime_us"] / 1000 for line in open(sys.argv[1]) if '"outcome":"ok"' in line]
print(f"{sys.argv[2]}\t{len(lifetimes)}\t{statistics.median(lifetimes):.1f}\t{statistics.mean(lifetimes):.1f}")
PY
}

{
    echo -e "heap scrub\trequests\tmedian ms\tmean ms"
    run on 0
    run off 1
} | tee "$work/results.tsv"
python3 - "$work/results.tsv" <<'PY'
import sys
rows = {line.split("\t")[0]: line.split("\t") for line in open(sys.argv[1]).read().splitlines()[1:]}
print(f"cost of zero-on-free: median ×{float(rows['on'][2]) / float(rows['off'][2]):.3f}, mean ×{float(rows['on'][3]) / float(rows['off'][3]):.3f}")
PY
