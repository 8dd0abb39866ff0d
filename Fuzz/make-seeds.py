#!/usr/bin/env python3
"""Writes the committed seed corpora under Fuzz/seeds/<target>/ (run from the repository root).

Seeds are valid examples: the RFC 9458 Appendix A and RFC 9292 vectors from
Tests/LetheEnvelopeTests/Vectors, a two-photo multipart session, tiny images Pillow makes
here (every format and pixel layout the decoder converts), and one request target for each public
ledger route plus the overflowing ones of issue 12. Re-running rewrites the same files.
"""
import io
import json
import os
import random
import sys

from PIL import Image

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
vectors = os.path.join(root, "Tests", "LetheEnvelopeTests", "Vectors")
out = os.path.join(root, "Fuzz", "seeds")


def write(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


ohttp = json.load(open(os.path.join(vectors, "rfc9458-appendix-a.json")))
bhttp = json.load(open(os.path.join(vectors, "rfc9292-examples.json")))

envelope = bytes.fromhex(ohttp["encapsulated_request"])
write("ohttp-header", "appendix-a-request", envelope)
write("ohttp-header", "header-only", envelope[:7])

config = bytes.fromhex(ohttp["key_config"])
write("key-config", "appendix-a-config", config)
write("key-config", "appendix-a-list", len(config).to_bytes(2, "big") + config)

write("bhttp", "rfc9292-known-length", bytes.fromhex(bhttp["request_known_length"]))
write("bhttp", "rfc9292-indeterminate-length", bytes.fromhex(bhttp["request_indeterminate_length"]))
write("bhttp", "appendix-a-get", bytes.fromhex(ohttp["bhttp_request"]))


def varint(n):
    # RFC 9000 §16, the shortest form.
    if n < 64:
        return bytes([n])
    if n < 16384:
        return (0x4000 | n).to_bytes(2, "big")
    return (0x80000000 | n).to_bytes(4, "big")


def vstr(b):
    return varint(len(b)) + b


def fields(pairs):
    body = b"".join(vstr(k) + vstr(v) for k, v in pairs)
    return vstr(body)


post = (varint(0) + vstr(b"POST") + vstr(b"https") + vstr(b"worker") + vstr(b"/v1/analyses?kind=skin")
        + fields([(b"authorization", b"Bearer 00ff"), (b"content-type", b"image/jpeg")]) + vstr(b"\xff\xd8\xff\xe0photo"))
write("bhttp", "post-analysis", post)
chunked = (varint(2) + vstr(b"POST") + vstr(b"https") + vstr(b"worker") + vstr(b"/v1/analyses")
           + vstr(b"authorization") + vstr(b"Bearer 00ff") + b"\x00" + vstr(b"\xff\xd8") + vstr(b"\xff\xe0") + b"\x00\x00")
write("bhttp", "post-chunked", chunked)

session = (b"multipart/form-data; boundary=lethe-7f3a\n"
           b"--lethe-7f3a\r\nContent-Disposition: form-data; name=\"front\"; filename=\"a.jpg\"\r\n"
           b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0first\r\n"
           b"--lethe-7f3a\r\nContent-Disposition: form-data; name=\"left\"\r\n\r\n\x89PNG\r\n\x1a\nsecond\r\n"
           b"--lethe-7f3a--\r\n")
write("multipart", "two-photos", session)
write("multipart", "quoted-boundary", b'multipart/form-data; boundary="a b"\n--a b\r\n\r\nx\r\n--a b--')


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


rng = random.Random(7)
skin = Image.new("RGB", (128, 128))
skin.putdata([(200 + rng.randint(-12, 12), 150 + rng.randint(-12, 12), 120 + rng.randint(-12, 12)) for _ in range(128 * 128)])
tiny = skin.resize((8, 8))
images = {
    "skin-128.jpg": encoded(skin, "JPEG", quality=60),
    "skin-128-progressive.jpg": encoded(skin, "JPEG", quality=40, progressive=True),
    "tiny.png": encoded(tiny, "PNG"),
    "tiny-grey.png": encoded(tiny.convert("L"), "PNG"),
    "tiny-rgba.png": encoded(tiny.convert("RGBA"), "PNG"),
    "tiny-palette.png": encoded(tiny.convert("P"), "PNG"),
    "tiny-16bit.png": encoded(tiny.convert("I;16"), "PNG"),
    "tiny-lossy.webp": encoded(tiny, "WEBP", quality=50),
    "tiny-lossless.webp": encoded(tiny.convert("RGBA"), "WEBP", lossless=True),
    "tiny-cmyk.jpg": encoded(tiny.convert("CMYK"), "JPEG"),
}
for name, data in images.items():
    write("decode-analyse", name, data)
    write("sniff", name, data[:32])
write("sniff", "heif-ftyp", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")

# Public routes: a request target (path and raw query) per ledger resource (c2sp.org/tlog-tiles,
# RFC 9162 proofs), and the targets near Int.max that once trapped the worker.
routes = {
    "checkpoint": "/ledger/checkpoint",
    "checkpoint-of-size": "/ledger/checkpoints/00000000000000000001",
    "key": "/ledger/key",
    "tile-level0-full": "/ledger/tile/0/000",
    "tile-level0-partial": "/ledger/tile/0/x001/x234/067.p/7",
    "tile-level1-partial": "/ledger/tile/1/000.p/17",
    "tile-entries": "/ledger/tile/entries/005.p/7",
    "entries": "/ledger/entries?start=0&end=6",
    "inclusion": "/ledger/proof/inclusion?index=1234&size=69999",
    "consistency": "/ledger/proof/consistency?old=1000&new=65537",
    "period": "/ledger/period?start=2026-11-22T10:15:00.000Z",
    "overflow-tile-issue-12": "/ledger/tile/0/x100/x000/x000/x000/x000/000",
    "overflow-tile-int-max": "/ledger/tile/0/x009/x223/x372/x036/x854/x775/807",
    "overflow-entries": "/ledger/entries?start=9223372036854775806&end=9223372036854775807",
    "overflow-inclusion": "/ledger/proof/inclusion?index=9223372036854775807&size=9223372036854775808",
}
for name, target in routes.items():
    write("public-routes", name, target.encode())
sys.exit(0)
