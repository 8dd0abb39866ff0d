#!/usr/bin/env python3
"""An independent Oblivious HTTP client (RFC 9458) for Lethe's interoperability test.

Written from the RFCs alone, in another language and on another crypto library (pyca/cryptography),
sharing no code with the Swift implementation: HPKE base mode (RFC 9180) with
DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM; known-length Binary HTTP (RFC 9292).

  ohttp_client.py vector FILE            check this client against RFC 9458 Appendix A
  ohttp_client.py analyze URL TOKEN PHOTO send PHOTO to a Lethe worker, print the inner JSON
"""
import email.utils
import hashlib
import hmac
import json
import os
import struct
import sys
import urllib.request

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization


class CheckFailed(Exception):
    """A check of this client failed (explicit, so that python -O cannot remove it)."""


def check(condition, message):
    """Raises CheckFailed with `message` unless `condition` holds; unlike `assert`, it survives
    PYTHONOPTIMIZE, so a green test means the comparison ran."""
    if not condition:
        raise CheckFailed(message)

KEM_X25519, KDF_HKDF_SHA256, AEAD_AES_128_GCM = 0x0020, 0x0001, 0x0001
NK, NN, NH = 16, 12, 32


def extract(salt, ikm):
    return hmac.new(salt or b"\0" * NH, ikm, hashlib.sha256).digest()


def expand(prk, info, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def labeled_extract(suite, salt, label, ikm):  # RFC 9180 §4
    return extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite, prk, label, info, length):
    return expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite + label + info, length)


def raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def hpke_setup_sender(pk_r_bytes, info, sk_e=None):
    """RFC 9180 §5.1.1 SetupBaseS; returns (enc, key, base_nonce, exporter_secret)."""
    sk_e = sk_e or X25519PrivateKey.generate()
    enc = raw(sk_e.public_key())
    dh = sk_e.exchange(X25519PublicKey.from_public_bytes(pk_r_bytes))
    kem_suite = b"KEM" + struct.pack(">H", KEM_X25519)
    eae_prk = labeled_extract(kem_suite, b"", b"eae_prk", dh)
    shared_secret = labeled_expand(kem_suite, eae_prk, b"shared_secret", enc + pk_r_bytes, 32)
    suite = b"HPKE" + struct.pack(">HHH", KEM_X25519, KDF_HKDF_SHA256, AEAD_AES_128_GCM)
    context = b"\0" + labeled_extract(suite, b"", b"psk_id_hash", b"") + labeled_extract(suite, b"", b"info_hash", info)
    secret = labeled_extract(suite, shared_secret, b"secret", b"")
    key = labeled_expand(suite, secret, b"key", context, NK)
    base_nonce = labeled_expand(suite, secret, b"base_nonce", context, NN)
    exporter = labeled_expand(suite, secret, b"exp", context, NH)
    return enc, key, base_nonce, exporter, suite


def encapsulate(key_config, request, sk_e=None):
    """RFC 9458 §4.3. key_config: one X25519 config (RFC 9458 §3.1)."""
    key_id, kem_id = key_config[0], struct.unpack(">H", key_config[1:3])[0]
    check(kem_id == KEM_X25519, "this client speaks X25519 only")
    public_key = key_config[3:35]
    header = bytes([key_id]) + struct.pack(">HHH", KEM_X25519, KDF_HKDF_SHA256, AEAD_AES_128_GCM)
    info = b"message/bhttp request\0" + header
    enc, key, nonce, exporter, suite = hpke_setup_sender(public_key, info, sk_e)
    ciphertext = AESGCM(key).encrypt(nonce, request, b"")
    return header + enc + ciphertext, (enc, exporter, suite)


def decapsulate_response(context, response):
    """RFC 9458 §4.4."""
    enc, exporter, suite = context
    length = max(NN, NK)
    secret = labeled_expand(suite, exporter, b"sec", b"message/bhttp response", length)
    nonce, ciphertext = response[:length], response[length:]
    prk = extract(enc + nonce, secret)
    return AESGCM(expand(prk, b"key", NK)).decrypt(expand(prk, b"nonce", NN), ciphertext, b"")


def varint(value):  # RFC 9000 §16
    for prefix, bits in ((0, 6), (1, 14), (2, 30), (3, 62)):
        if value < (1 << bits):
            size = 1 << prefix
            data = value.to_bytes(size, "big")
            return bytes([data[0] | (prefix << 6)]) + data[1:]
    raise ValueError(value)


def read_varint(data, offset):
    prefix = data[offset] >> 6
    size = 1 << prefix
    value = int.from_bytes(bytes([data[offset] & 0x3F]) + data[offset + 1:offset + size], "big")
    return value, offset + size


def bhttp_request(method, scheme, authority, path, fields, content):  # RFC 9292 §3, known length
    def item(value):
        return varint(len(value)) + value
    field_section = b"".join(item(name) + item(value) for name, value in fields)
    control = item(method) + item(scheme) + item(authority) + item(path)
    return varint(0) + control + item(field_section) + item(content) + varint(0)


def parse_bhttp_response(data):
    framing, offset = read_varint(data, 0)
    check(framing == 1, f"expected a known-length response, framing {framing}")
    while True:
        status, offset = read_varint(data, offset)
        length, offset = read_varint(data, offset)
        fields = data[offset:offset + length]
        offset += length
        if status >= 200:
            break
    length, offset = read_varint(data, offset)
    return status, fields, data[offset:offset + length]


def check_vector(path):
    vector = json.load(open(path))
    h = bytes.fromhex
    sk_e = X25519PrivateKey.from_private_bytes(h(vector["client_ephemeral_private_key"]))
    encapsulated, context = encapsulate(h(vector["key_config"]), h(vector["bhttp_request"]), sk_e)
    check(encapsulated == h(vector["encapsulated_request"]), "encapsulated request differs from RFC 9458 Appendix A")
    response = decapsulate_response(context, h(vector["encapsulated_response"]))
    check(response == h(vector["bhttp_response"]), "response differs from RFC 9458 Appendix A")
    print("RFC 9458 Appendix A: request and response match byte for byte")


def analyze(url, token, photo_path):
    keys = urllib.request.urlopen(url + "/.well-known/ohttp-gateway").read()
    offset, config = 0, None
    while offset < len(keys):  # RFC 9540 §3: length-prefixed key configs
        length = struct.unpack(">H", keys[offset:offset + 2])[0]
        candidate = keys[offset + 2:offset + 2 + length]
        offset += 2 + length
        if struct.unpack(">H", candidate[1:3])[0] == KEM_X25519:
            config = candidate
            break
    check(config is not None, "the worker offers no X25519 key")
    photo = open(photo_path, "rb").read()
    # RFC 9458 §6.5.1: the gateway refuses requests without a fresh Date (RFC 9110 §5.6.7).
    date = email.utils.formatdate(usegmt=True).encode()
    inner = bhttp_request(b"POST", b"https", b"lethe", b"/v1/analyses?kind=skin",
                          [(b"authorization", b"Bearer " + token.encode()), (b"date", date)], photo)
    encapsulated, context = encapsulate(config, inner)
    request = urllib.request.Request(url + "/.well-known/ohttp-gateway", data=encapsulated,
                                     headers={"Content-Type": "message/ohttp-req"}, method="POST")
    with urllib.request.urlopen(request) as answer:
        check(answer.headers["Content-Type"] == "message/ohttp-res", "the answer is not message/ohttp-res")
        status, _, content = parse_bhttp_response(decapsulate_response(context, answer.read()))
    print(json.dumps({"status": status, "body": json.loads(content)}))


if __name__ == "__main__":
    if sys.argv[1] == "vector":
        check_vector(sys.argv[2])
    elif sys.argv[1] == "analyze":
        analyze(*sys.argv[2:5])
    else:
        sys.exit(__doc__)
