#!/usr/bin/env python3
"""Verify a Lethe deletion ledger without Lethe: Python 3 + the `cryptography` package.

    python3 docs/verify_ledger.py LEDGER_DIR 'origin+keyid+base64key'

Implements docs/ledger.md §11: canonical entries, sequence numbers, RFC 9162 roots, C2SP signed
checkpoints (Ed25519), and the retention cut. Exit 0 when everything holds.
"""
import base64, glob, hashlib, json, os, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(message):
    print("FAILED:", message)
    sys.exit(1)


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
    # Expand the compact range into a list of (start, count, hash) nodes, then fold like MTH.
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

    files = sorted(glob.glob(os.path.join(directory, "segments", "*.jsonl"))) or [os.path.join(directory, "deletions.jsonl")]
    leaves, index = [], cut
    for position, path in enumerate(files):
        first = int(os.path.basename(path).split(".")[0]) if "segments" in path else 0
        if first != index:
            fail(f"{os.path.basename(path)} starts at #{first}, expected #{index}")
        pieces = open(path, "rb").read().split(b"\n")
        if pieces[-1]:
            if position != len(files) - 1:
                fail(f"{os.path.basename(path)} ends inside an entry")
            print(f"warning: torn tail of {len(pieces[-1])} bytes after entry #{index - 1}")
        for line in pieces[:-1]:
            entry = json.loads(line)
            if json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() != line:
                fail(f"entry #{index} is not canonical")
            if entry["sequence"] != index:
                fail(f"entry #{index} carries sequence {entry['sequence']}")
            if not entry["wipe_verified"]:
                fail(f"entry #{index}: wipe not verified")
            leaves.append(hashlib.sha256(b"\x00" + line).digest())
            index += 1

    checked = 0
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
            continue  # before the retention cut: linked by the proofs in `pruned` (see docs/ledger.md §8)
        if size > index:
            fail(f"checkpoint {size} covers missing entries (log has {index})")
        expected = root_after_cut(compact, cut, leaves, size) if cut else mth(leaves[:size])
        if expected != base64.b64decode(root):
            fail(f"checkpoint {size}: root does not match entries")
        checked += 1
    print(f"OK: {index} entries ({cut} removed), {checked} checkpoints verified")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
