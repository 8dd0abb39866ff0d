#!/usr/bin/env python3
"""An independent C2SP tlog-witness client, for WitnessInteropTests.

It shares no code with Lethe: requests are built and answers parsed by aics-tlog and
aics-witness (PyPI, installed by scripts/bootstrap), cosignatures checked and recomputed with
pyca/cryptography through aics-tlog.

    tlog_witness_client.py PLAN.json

PLAN.json: {"url": witness submission prefix, "witness_vkey": its vkey, "witness_seed": hex
Ed25519 seed, "steps": [{"old": N, "proof": [base64...], "note": signed checkpoint,
"expect": HTTP status, "expect_size": N (for 409 text/x.tlog.size)}]}.

For every 200 it parses the cosignature lines, verifies the witness's line with
verify_cosignature, then signs the same checkpoint at the same timestamp with the seed and
requires the very same line, byte for byte. Exit 0 and prints 'OK' only when every step holds.
"""
import base64
import json
import sys
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aics_tlog.cosign import COSIGNATURE_TYPE, cosignature_timestamp, sign_cosignature, verify_cosignature
from aics_tlog.note import parse_note, parse_vkey
from aics_witness.protocol import format_add_checkpoint_request, format_signature_line, parse_signature_lines, parse_size_body


def fail(message):
    print("FAILED: " + message)
    sys.exit(1)


def checkpoint_fields(note_text):
    lines = note_text.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2]), lines[3:-1]


def main():
    plan = json.load(open(sys.argv[1]))
    vkey = parse_vkey(plan["witness_vkey"])
    if vkey.key_type != COSIGNATURE_TYPE:
        fail("the witness vkey's type is %#x, not 0x04" % vkey.key_type)
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(plan["witness_seed"]))
    if private.public_key().public_bytes_raw() != vkey.public_key:
        fail("the seed is not the vkey's")
    cosigned = 0
    for number, step in enumerate(plan["steps"]):
        body = format_add_checkpoint_request(step["old"], [base64.b64decode(h) for h in step["proof"]], step["note"].encode())
        request = urllib.request.Request(plan["url"].rstrip("/") + "/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                status, content_type, answer = response.status, response.headers.get("Content-Type"), response.read()
        except urllib.error.HTTPError as error:
            status, content_type, answer = error.code, error.headers.get("Content-Type"), error.read()
        if status != step["expect"]:
            fail("step %d: status %d, expected %d (%r)" % (number, status, step["expect"], answer[:200]))
        if status == 409 and "expect_size" in step:
            if content_type != "text/x.tlog.size" or parse_size_body(answer) != step["expect_size"]:
                fail("step %d: 409 body %r (%s), expected size %d" % (number, answer, content_type, step["expect_size"]))
        if status != 200:
            continue
        note = parse_note(step["note"])
        origin, size, root, extensions = checkpoint_fields(note.text)
        lines = [line for line in parse_signature_lines(answer.decode()) if line.name == vkey.name and line.key_id == vkey.key_id]
        if len(lines) != 1:
            fail("step %d: %d cosignature lines of the witness" % (number, len(lines)))
        line = lines[0]
        if not verify_cosignature(line.signature, vkey.name, vkey.public_key, origin, size, root, extensions):
            fail("step %d: the cosignature does not verify" % number)
        _, again = sign_cosignature(private, vkey.name, cosignature_timestamp(line.signature), origin, size, root, extensions)
        if format_signature_line(again) != format_signature_line(line):
            fail("step %d: the cosignature line differs from aics-tlog's:\n%s%s" % (number, format_signature_line(line), format_signature_line(again)))
        cosigned += 1
    print("OK: %d steps, %d cosignatures verified and recomputed byte for byte" % (len(plan["steps"]), cosigned))


if __name__ == "__main__":
    main()
