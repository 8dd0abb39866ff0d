#!/usr/bin/env bash
# What zero-on-free (scrubbing every freed heap block, libvips' and libjpeg's included) costs:
# `lethe bench` of bench/make-photo's 12-megapixel face photo with heap scrubbing on and off in
# its worker (the gateway and its engines inherit LETHE_UNSAFE_DISABLE_HEAP_SCRUB), one device,
# REQUESTS requests per run, the two settings alternated ROUNDS times so that a shared machine's
# load falls on both. Prints per run and as medians: the worker's CPU per request (gateway +
# engines, the steadiest figure), the mean plaintext lifetime (decrypt → decode → analyse →
# encrypt → wipe) and the client p50; then zero-on-free's share. Fails when a request fails (a
# run that times refusals measures nothing).
# Usage: bench/heap-scrub-cost.sh [REQUESTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-15}
rounds=${2:-3}
scratch=${LETHE_BENCH_SCRATCH:-.build}
swift build -c release --product lethe --scratch-path "$scratch" >&2
lethe="$scratch/release/lethe"
work=$(mktemp -d /tmp/lethe-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
photo=$(bench/make-photo "$work")
echo "photo: $(vipsheader "$photo"), $(stat -c %s "$photo") bytes; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

for round in $(seq "$rounds"); do
    for setting in on off; do
        disable=0; [ "$setting" = off ] && disable=1
        LETHE_UNSAFE_DISABLE_HEAP_SCRUB=$disable "$lethe" bench "$photo" --kind face --concurrency 1 \
            --requests "$requests" --warmup 2 --json > "$work/$setting-$round.json"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 - "$work" "$rounds" <<'PY'
import json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
runs = {s: [json.load(open(os.path.join(work, f"{s}-{r}.json"))) for r in range(1, rounds + 1)] for s in ("on", "off")}
failed = [(s, run["errors"]) for s in runs for run in runs[s] if run["errors"]]
if failed:
    sys.exit(f"requests failed, nothing measured: {failed}")
cpu = lambda run: run["gatewayCPUMillisecondsPerRequest"] + run["engineCPUMillisecondsPerRequest"]
print("heap scrub\tround\tworker CPU ms/request\tmean plaintext lifetime ms\tmean wipe ms\tclient p50 ms")
for r in range(rounds):
    for s in ("on", "off"):
        run = runs[s][r]
        print(f"{s}\t{r + 1}\t{cpu(run):.0f}\t{run['meanPlaintextLifetimeMilliseconds']:.0f}\t{run['meanWipeMilliseconds']:.2f}\t{run['latencyMilliseconds']['p50']:.0f}")
median = lambda s, f: statistics.median(f(run) for run in runs[s])
on_cpu, off_cpu = median("on", cpu), median("off", cpu)
on_life = median("on", lambda run: run["meanPlaintextLifetimeMilliseconds"])
off_life = median("off", lambda run: run["meanPlaintextLifetimeMilliseconds"])
wipe = median("on", lambda run: run["meanWipeMilliseconds"])
print(f"medians: worker CPU {on_cpu:.0f} ms on, {off_cpu:.0f} ms off: zero-on-free {on_cpu - off_cpu:+.0f} ms "
      f"({(on_cpu - off_cpu) / on_cpu:+.1%} of the request's CPU); plaintext lifetime {on_life:.0f} / {off_life:.0f} ms "
      f"({(on_life - off_life) / on_life:+.1%}); arena wipe {wipe:.2f} ms ({wipe / on_life:.2%}); "
      f"wipe in all, arena + zero-on-free: {(wipe + max(0, on_cpu - off_cpu)) / on_life:.1%} of the plaintext lifetime")
PY
