#!/usr/bin/env python3
"""Verify a Lethe deletion ledger without Lethe: Python 3 + the `cryptography` package.

    python3 docs/verify_ledger.py LEDGER_DIR 'origin+keyid+base64key'

Implements docs/ledger.md §14: the public log (canonical entries, sequence numbers, batches of
commitments in commitment order closed by summaries that agree with them), RFC 9162 roots, C2SP
signed checkpoints (Ed25519), the retention cut, and, when the private records are in
LEDGER_DIR/segments, every commitment and summary recomputed from them. Exit 0 when everything holds.
"""
import base64, glob, hashlib, json, os, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]


def fail(message):
    print("FAILED:", message)
    sys.exit(1)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def mth(leaves):
    """RFC 9162 §2.1.1 over leaf hashes (or perfect-subtree hashes of a compact range)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def root_after_cut(compact, cut, leaves, size):
    """Root of the first `size` entries when entries 0..cut-1 are known only by their compact range."""
    nodes, start = [], 0
    for bit, digest in zip([b for b in range(63, -1, -1) if cut >> b & 1], compact):
        nodes.append((start, 1 << bit, digest))
        start += 1 << bit
    nodes += [(cut + i, 1, h) for i, h in enumerate(leaves[: size - cut])]

    def hash_range(lo, count):
        for s, c, h in nodes:
            if s == lo and c == count:
                return h
        k = 1
        while k * 2 < count:
            k *= 2
        return hashlib.sha256(b"\x01" + hash_range(lo, k) + hash_range(lo + k, count - k)).digest()

    return hash_range(0, size)


def read_lines(files, first, what):
    """Complete lines of consecutive segment files starting at index `first`, as (index, bytes)."""
    lines, index = [], first
    for position, path in enumerate(files):
        start = int(os.path.basename(path).split(".")[0]) if path.endswith(".jsonl") and "deletions" not in path else 0
        if start != index:
            fail(f"{what} {os.path.basename(path)} starts at #{start}, expected #{index}")
        pieces = open(path, "rb").read().split(b"\n")
        if pieces[-1]:
            if position != len(files) - 1:
                fail(f"{what} {os.path.basename(path)} ends inside a line")
            print(f"warning: torn tail of {len(pieces[-1])} bytes after {what} #{index - 1}")
        for line in pieces[:-1]:
            obj = json.loads(line)
            if canonical(obj) != line:
                fail(f"{what} #{index} is not canonical")
            if obj["sequence"] != index:
                fail(f"{what} #{index} carries sequence {obj['sequence']}")
            lines.append((index, line, obj))
            index += 1
    return lines


def summarise(records, summary):
    """The summary a batch of records must carry (docs/ledger.md §5)."""
    def count(key):
        out = {}
        for r in records:
            if r.get(key) is not None:
                out[r[key]] = out.get(r[key], 0) + 1
        return out
    histogram = [0] * (len(BOUNDS_MS) + 1)
    for r in records:
        life = r["plaintext_lifetime_us"]
        histogram[next((i for i, b in enumerate(BOUNDS_MS) if life <= b * 1000), len(BOUNDS_MS))] += 1
    bytes_wiped = {}
    for r in records:
        for k, v in r["bytes_wiped"].items():
            bytes_wiped[k] = bytes_wiped.get(k, 0) + v
    expected = dict(summary)
    expected.update({
        "requests": len(records), "wipes_verified": sum(r["wipe_verified"] for r in records),
        "by_outcome": count("outcome"), "by_error_code": count("error_code"), "by_kind": count("kind"),
        "bytes_wiped": bytes_wiped, "buffers_wiped": sum(r["buffers_wiped"] for r in records),
        "plaintext_lifetime_max_us": max([r["plaintext_lifetime_us"] for r in records], default=0),
        "plaintext_lifetime_sum_us": sum(r["plaintext_lifetime_us"] for r in records),
        "lifetime_histogram": histogram, "journal_end": summary["journal_start"] + len(records),
    })
    return expected


def main(directory, verifier_key):
    name, key_id, material = verifier_key.strip().split("+", 2)
    raw = base64.b64decode(material)
    if raw[0] != 1 or len(raw) != 33:
        fail("not an Ed25519 verifier key")
    public_key = raw[1:]
    if hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4].hex() != key_id:
        fail("key id does not match the key")

    cut, compact = 0, []
    pruned_path = os.path.join(directory, "pruned")
    if os.path.exists(pruned_path):
        pruned = json.load(open(pruned_path))
        cut, compact = pruned["size"], [base64.b64decode(h) for h in pruned["compact_range"]]

    # The public log (a version-1 ledger that no worker migrated yet keeps it in segments/ or deletions.jsonl).
    log_files = sorted(glob.glob(os.path.join(directory, "log", "*.jsonl")))
    record_files = sorted(glob.glob(os.path.join(directory, "segments", "*.jsonl")))
    if not log_files:
        legacy = os.path.join(directory, "deletions.jsonl")
        log_files = record_files or ([legacy] if os.path.exists(legacy) else [])
        record_files = []
    log = read_lines(log_files, cut, "entry")

    # Batches: commitments of one period, strictly ascending, verified, closed by a summary.
    batches, wipes, previous, keys = [], [], None, []
    for index, line, entry in log:
        kind = entry.get("type")
        if entry["version"] == 1 and kind is None:
            if batches or wipes:
                fail(f"entry #{index}: a version-1 entry after version-2 entries")
            if not entry["wipe_verified"]:
                fail(f"entry #{index}: wipe not verified")
        elif kind == "wipe":
            if not entry["wipe_verified"]:
                fail(f"entry #{index}: wipe not verified")
            if wipes and (entry["period"] != wipes[-1]["period"] or entry["commitment"] <= wipes[-1]["commitment"]):
                fail(f"entry #{index}: not of its batch's period, or not in commitment order")
            wipes.append(entry)
        elif kind == "period":
            if any(w["period"] != entry["period"] for w in wipes):
                fail(f"entry #{index}: the summary's period differs from its batch's")
            if entry["requests"] != len(wipes) or entry["journal_end"] - entry["journal_start"] != len(wipes) \
                    or entry["wipes_verified"] != sum(w["wipe_verified"] for w in wipes):
                fail(f"entry #{index}: the summary does not count its batch")
            if previous is not None:
                if entry["journal_start"] != previous["journal_end"]:
                    fail(f"entry #{index}: records #{previous['journal_end']}…#{entry['journal_start'] - 1} left out or counted twice")
                if entry["period"] < previous["period"] and "clock_step" not in entry:
                    fail(f"entry #{index}: period before the previous one with no clock step")
            batches.append((entry, [w["commitment"] for w in wipes]))
            previous, wipes = entry, []
        elif kind == "ohttp_key":
            # A logged OHTTP key configuration (docs/ledger.md §17): outside any batch.
            if wipes:
                fail(f"entry #{index}: a key entry inside a batch, before its summary")
            try:
                if not base64.b64decode(entry["config"], validate=True):
                    fail(f"entry #{index}: empty key configuration")
            except ValueError:
                fail(f"entry #{index}: the key configuration is not base64")
            keys.append((index, entry["period"], entry["config"]))
        else:
            fail(f"entry #{index} is not a log entry")
    if wipes:
        print(f"warning: {len(wipes)} commitments at the end of the log lack their summary (a crash; republished on restart)")

    # The private records, when present: commitments and summaries recomputed.
    checked = 0
    if record_files:
        first = int(os.path.basename(record_files[0]).split(".")[0])
        records = {index: (line, obj) for index, line, obj in read_lines(record_files, first, "record")}
        for index, (line, record) in records.items():
            if not record["period"] <= record["wiped_at"] < record["period_end"]:
                fail(f"record #{index} was wiped outside its period")
            if not record["wipe_verified"]:
                fail(f"record #{index}: wipe not verified")
            if "clock_step" not in record and index - 1 in records and record["wiped_at"] < records[index - 1][1]["wiped_at"]:
                fail(f"record #{index} goes back in time with no clock step")
        for summary, commitments in batches:
            span = range(summary["journal_start"], summary["journal_end"])
            if summary["journal_start"] < first:
                continue  # removed by retention
            if any(i not in records for i in span):
                fail(f"the batch of {summary['period']} stands for records that are missing")
            mine = [records[i] for i in span]
            recomputed = sorted(hashlib.sha256(b"lethe.commitment/v2\n" + line).hexdigest() for line, _ in mine)
            if recomputed != commitments:
                fail(f"the batch of {summary['period']}: commitments differ from its records")
            if summarise([obj for _, obj in mine], summary) != summary:
                fail(f"the summary of {summary['period']} (entry #{summary['sequence']}) differs from its records")
            checked += len(mine)

    leaves = [hashlib.sha256(b"\x00" + line).digest() for _, line, _ in log]
    size_read = cut + len(leaves)
    verified = 0
    for path in sorted(glob.glob(os.path.join(directory, "checkpoints", "*"))):
        note = open(path, encoding="utf-8").read()
        text, signatures = note.rsplit("\n\n", 1)
        text += "\n"
        good = False
        for line in signatures.rstrip("\n").split("\n"):
            dash, signer, blob = line.split(" ")
            blob = base64.b64decode(blob)
            if dash == "\u2014" and signer == name and blob[:4].hex() == key_id:
                try:
                    Ed25519PublicKey.from_public_bytes(public_key).verify(blob[4:], text.encode())
                    good = True
                except Exception:
                    fail(f"checkpoint {os.path.basename(path)}: bad signature")
        if not good:
            fail(f"checkpoint {os.path.basename(path)}: not signed by {name}")
        origin, size, root = text.split("\n")[:3]
        size = int(size)
        if origin != name or size != int(os.path.basename(path)):
            fail(f"checkpoint {os.path.basename(path)}: wrong origin or size")
        if size < cut:
            continue  # before the retention cut: linked by the proofs in `pruned` (docs/ledger.md §11)
        if size > size_read:
            fail(f"checkpoint {size} covers missing entries (log has {size_read})")
        expected = root_after_cut(compact, cut, leaves, size) if cut else mth(leaves[:size])
        if expected != base64.b64decode(root):
            fail(f"checkpoint {size}: root does not match entries")
        verified += 1
    refused = sum(sum(s["refused"].values()) for s, _ in batches)
    print(f"OK: log of {size_read} entries ({cut} removed), {len(batches)} periods, {refused} refused before any plaintext, "
          f"{checked} records recomputed, {verified} checkpoints verified, {len(keys)} key configurations logged")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
