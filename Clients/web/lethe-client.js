// Lethe's browser client: Oblivious HTTP (RFC 9458) to the analysis worker on WebCrypto, with no
// library. HPKE base mode DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (RFC 9180);
// Binary HTTP known-length messages (RFC 9292); key discovery (RFC 9540); the deletion receipt
// (C2SP signed note, Ed25519) and its RFC 9162 inclusion proof against a signed checkpoint.
import { chacha20Poly1305Open } from './chacha20poly1305.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * What to check, by code: the client's own codes, the envelope and ledger codes it raises, and the
 * worker's codes whose cause is on the device (the same advice as LetheClient's).
 */
const CHECKS = {
  worker_unreachable: 'that the worker runs and that the page\'s server URL names its host and port (and that no firewall is in between)',
  worker_timeout: 'that the worker is up and not overloaded (its /healthz and metrics), or allow more time (timeoutMilliseconds)',
  response_truncated: 'the network and any proxy or relay between the device and the worker: the answer was cut off',
  unexpected_response: 'that the URL is a Lethe worker\'s (or its OHTTP relay\'s), not another service or a captive portal',
  no_usable_key: 'the worker\'s key configurations (/.well-known/ohttp-gateway): this client needs an X25519 key',
  malformed_key_config: 'the key configuration: the pinned one, or what the URL serves at /.well-known/ohttp-gateway, is not RFC 9458 §3',
  malformed_response: 'any proxy or relay between the device and the worker: the encrypted answer is cut short or not OHTTP',
  response_decryption_failed: 'any proxy or relay between the device and the worker: the encrypted answer was altered, or is another request\'s',
  malformed_bhttp: 'the worker\'s version and any relay: the decrypted answer is not Binary HTTP',
  encapsulation_failed: 'the key configuration: its public key is not usable for HPKE',
  unsupported_suite: 'the key configuration\'s KDF and AEAD against what the worker offers',
  receipt_missing: 'the worker\'s version and any relay that drops headers: the Lethe-Receipt header did not arrive',
  receipt_unbound: 'the worker and any relay: the receipt (or answer) is for another request than this one',
  receipt_malformed: 'any relay between the device and the worker: the receipt does not decrypt or is not a receipt',
  verifier_key_invalid: 'the pinned ledger key (lethe-ledger-key): it should be what `lethe keys ledger` prints, name+keyid+base64',
  note_malformed: 'the worker URL and any relay: the signed note is not of its documented form',
  note_unsigned: 'the pinned ledger key (lethe-ledger-key): it is not the key of this worker\'s log',
  note_signature_invalid: 'the worker and any relay: a signature does not verify, so the receipt or checkpoint was altered',
  checkpoint_malformed: 'the worker URL and any relay: the checkpoint is not of its documented form',
  checkpoint_origin_mismatch: 'the pinned ledger key (lethe-ledger-key): the checkpoint is of another log',
  checkpoint_timeout: 'the worker\'s checkpoint period and its /ledger routes: no checkpoint covered the receipt in time',
  inclusion_proof_invalid: 'the worker\'s log: the published entry or its proof does not match the receipt',
  key_config_unlogged: 'the worker\'s key log (/ledger/ohttp-keys) and any relay: this key is not proven to be in the public log, so it may single this device out',
  witness_key_invalid: 'the page\'s witness keys (lethe-witnesses): each should be a witness\'s vkey, name+keyid+base64',
  witness_quorum_missing: 'the worker\'s witnesses: fewer of the page\'s witnesses cosigned the checkpoint than its quorum',
  request_too_large: 'the photo\'s size',
  unknown_key_id: 'the pinned key configuration: the worker rotated its keys, fetch /.well-known/ohttp-gateway again',
  decryption_failed: 'the key configuration: it is not this worker\'s key (a wrong pin, or a relay that alters requests)',
  request_stale: 'the device\'s clock: it is further from the worker\'s than its replay window',
  missing_token: 'the device token: none was sent',
  invalid_token: 'the device token: the worker does not know it',
  request_replayed: 'nothing on the device: send the request again, newly encrypted',
};

/** Advice by the worker's status, for its codes without advice of their own. */
function checkForStatus(status) {
  switch (status) {
    case 400: return 'the request (photo, kind and parameters): the message says which part the worker refused';
    case 401: return 'the device token';
    case 404: case 405: return 'the worker URL: it should be the worker\'s base URL, without a path';
    case 408: return 'the network\'s upload speed: the worker closes uploads slower than its minimum rate';
    case 413: return 'the photo\'s size against the worker\'s limits';
    case 415: return 'the photo\'s format: JPEG, PNG, WebP or HEIF';
    case 422: return 'the photo itself (framing, focus, lighting): the message gives the measured value';
    case 429: case 503: return 'nothing on the device: the worker is busy or not ready, retry later';
    case 500: return 'the worker\'s log: this is a fault of the worker, not of the request';
    default: return 'the worker\'s log and version: it answered a status this client does not know';
  }
}

/** A refused or failed exchange: a stable snake_case code (the contract) and a message for people. */
export class LetheWebError extends Error {
  constructor(code, message, status = 0, requestID = null) {
    super(message);
    this.name = 'LetheWebError';
    this.code = code;
    this.status = status;
    this.requestID = requestID;
    this.receipt = null;
  }

  /** What a person should check about this failure. */
  get check() { return CHECKS[this.code] ?? checkForStatus(this.status); }

  /** The whole failure on one line: code, status when the worker answered, message, what to check. */
  get line() {
    return `${this.code}${this.status ? ` (HTTP ${this.status})` : ''}: ${String(this.message).replace(/\s*\n\s*/g, ' ')}; check ${this.check}`;
  }
}

/** A new request id: 128 random bits as 32 lowercase hex digits (the worker records it). */
export function newRequestID() {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

// ---- bytes -------------------------------------------------------------------------------------

/** Concatenates byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Bytes of a hex string. */
export function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

/** Standard base64 of bytes. */
export function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Bytes of standard base64, or null when it is not base64. */
export function fromBase64(text) {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function uint16(value) {
  return new Uint8Array([(value >> 8) & 0xff, value & 0xff]);
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** A bounds-checked reader: every length read from the network is checked against what is left. */
class ByteReader {
  constructor(bytes, failure) { this.bytes = bytes; this.offset = 0; this.failure = failure; }
  get isAtEnd() { return this.offset >= this.bytes.length; }
  read(count) {
    if (!Number.isSafeInteger(count) || count < 0 || count > this.bytes.length - this.offset) throw this.failure('runs past the end');
    const out = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }
  uint8() { return this.read(1)[0]; }
  uint16() { const b = this.read(2); return (b[0] << 8) | b[1]; }
  // RFC 9000 §16 variable-length integer, as RFC 9292 §3 uses it.
  varint() {
    const first = this.read(1)[0];
    const length = 1 << (first >> 6);
    let value = first & 0x3f;
    for (const byte of this.read(length - 1)) value = value * 256 + byte;
    if (!Number.isSafeInteger(value)) throw this.failure('holds an integer too large');
    return value;
  }
  prefixed() { return this.read(this.varint()); }
}

function varint(value) {
  if (value < 64) return new Uint8Array([value]);
  if (value < 16384) return new Uint8Array([0x40 | (value >> 8), value & 0xff]);
  if (value < 2 ** 30) return new Uint8Array([0x80 | (value >>> 24), (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);
  throw new LetheWebError('request_too_large', 'the request is larger than 1 GiB');
}

function prefixed(bytes) {
  return concat(varint(bytes.length), bytes);
}

// ---- HKDF-SHA256 (RFC 5869) on WebCrypto HMAC -----------------------------------------------------

async function hmac(keyBytes, data) {
  // RFC 5869 §2.2: an absent salt is HashLen zeros (HMAC would pad an empty key the same way, but
  // WebCrypto refuses empty HMAC keys).
  const key = await crypto.subtle.importKey('raw', keyBytes.length ? keyBytes : new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
}

/** HKDF-Extract(salt, ikm). */
export function hkdfExtract(salt, ikm) {
  return hmac(salt, ikm);
}

/** HKDF-Expand(prk, info, length). */
export async function hkdfExpand(prk, info, length) {
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let counter = 1, offset = 0; offset < length; counter += 1) {
    previous = await hmac(prk, concat(previous, info, new Uint8Array([counter])));
    out.set(previous.subarray(0, Math.min(32, length - offset)), offset);
    offset += 32;
  }
  return out;
}

// ---- HPKE base mode (RFC 9180) --------------------------------------------------------------------

const KEM_X25519 = 0x0020;
const KDF_HKDF_SHA256 = 0x0001;
const AEAD_AES_128_GCM = 0x0001;
const hpkeVersion = encoder.encode('HPKE-v1');

// RFC 9180 §4: LabeledExtract and LabeledExpand, domain-separated by the suite id.
function labeledExtract(suiteID, salt, label, ikm) {
  return hkdfExtract(salt, concat(hpkeVersion, suiteID, encoder.encode(label), ikm));
}

function labeledExpand(suiteID, prk, label, info, length) {
  return hkdfExpand(prk, concat(uint16(length), hpkeVersion, suiteID, encoder.encode(label), info), length);
}

/** A fresh X25519 key pair, or the one given as raw private bytes (tests: RFC 9458 Appendix A). */
export async function x25519KeyPair(rawPrivateKey = null) {
  if (!rawPrivateKey) {
    const pair = await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']);
    return { privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
  }
  // RFC 8410 PKCS#8 wrapping of a raw X25519 private key.
  const pkcs8 = concat(fromHex('302e020100300506032b656e04220420'), rawPrivateKey);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits']);
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  const publicKey = fromBase64(jwk.x.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (jwk.x.length % 4)) % 4));
  return { privateKey, publicKey };
}

/**
 * RFC 9180 §5.1 SetupBaseS with DHKEM(X25519, HKDF-SHA256) (§4.1), HKDF-SHA256, AES-128-GCM.
 * Returns `enc` and a sender context that seals one message and exports secrets.
 */
export async function setupBaseSender(recipientPublicKey, info, ephemeral = null) {
  const pair = ephemeral ?? await x25519KeyPair();
  const recipient = await crypto.subtle.importKey('raw', recipientPublicKey, { name: 'X25519' }, false, []);
  let dh;
  try {
    dh = new Uint8Array(await crypto.subtle.deriveBits({ name: 'X25519', public: recipient }, pair.privateKey, 256));
  } catch {
    // WebCrypto refuses an all-zero shared secret (a small-order key): RFC 9180 §7.1.4.
    throw new LetheWebError('malformed_key_config', 'the worker\'s X25519 public key is unusable');
  }
  const enc = pair.publicKey;
  const kemSuite = concat(encoder.encode('KEM'), uint16(KEM_X25519));
  const eaePrk = await labeledExtract(kemSuite, new Uint8Array(0), 'eae_prk', dh);
  const sharedSecret = await labeledExpand(kemSuite, eaePrk, 'shared_secret', concat(enc, recipientPublicKey), 32);

  const suiteID = concat(encoder.encode('HPKE'), uint16(KEM_X25519), uint16(KDF_HKDF_SHA256), uint16(AEAD_AES_128_GCM));
  const empty = new Uint8Array(0);
  const pskIDHash = await labeledExtract(suiteID, empty, 'psk_id_hash', empty);
  const infoHash = await labeledExtract(suiteID, empty, 'info_hash', info);
  const context = concat(new Uint8Array([0x00]), pskIDHash, infoHash);
  const secret = await labeledExtract(suiteID, sharedSecret, 'secret', empty);
  const key = await labeledExpand(suiteID, secret, 'key', context, 16);
  const baseNonce = await labeledExpand(suiteID, secret, 'base_nonce', context, 12);
  const exporterSecret = await labeledExpand(suiteID, secret, 'exp', context, 32);
  let sealed = false;
  return {
    enc,
    /** Seals the one message of this context (sequence number 0: the nonce is the base nonce). */
    async seal(plaintext, aad = empty) {
      if (sealed) throw new LetheWebError('encapsulation_failed', 'an HPKE context seals one request only');
      sealed = true;
      const aesKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
      return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: baseNonce, additionalData: aad }, aesKey, plaintext));
    },
    /** RFC 9180 §5.3 Export. */
    exportSecret(exporterContext, length) {
      return labeledExpand(suiteID, exporterSecret, 'sec', exporterContext, length);
    },
  };
}

// ---- key configuration (RFC 9458 §3) ----------------------------------------------------------------

// Public key sizes (Npk) of the KEMs a Lethe worker publishes: X25519 (RFC 9180 §7.1) and
// X-Wing (draft-connolly-cfrg-xwing-kem), which this client skips but must step over.
const publicKeyByteCounts = new Map([[KEM_X25519, 32], [0x647a, 1216]]);

/** Parses one key configuration; null for a KEM whose key size this client does not know. */
function readKeyConfig(reader) {
  const keyID = reader.uint8();
  const kemID = reader.uint16();
  const publicKeyByteCount = publicKeyByteCounts.get(kemID);
  if (publicKeyByteCount === undefined) return null;
  const publicKey = reader.read(publicKeyByteCount);
  const suitesLength = reader.uint16();
  if (suitesLength === 0 || suitesLength % 4 !== 0) throw reader.failure('has a symmetric suite list that is not a multiple of 4');
  const suites = [];
  const suiteReader = new ByteReader(reader.read(suitesLength), reader.failure);
  while (!suiteReader.isAtEnd) suites.push({ kdfID: suiteReader.uint16(), aeadID: suiteReader.uint16() });
  return { keyID, kemID, publicKey, suites };
}

/** Parses an `application/ohttp-keys` body (RFC 9458 §3.2: 2-byte length, then a key config). */
export function parseKeyConfigs(bytes) {
  const failure = (detail) => new LetheWebError('malformed_key_config', `the key configuration ${detail}`);
  const reader = new ByteReader(bytes, failure);
  if (reader.isAtEnd) throw failure('list is empty');
  const configs = [];
  while (!reader.isAtEnd) {
    const inner = new ByteReader(reader.read(reader.uint16()), failure);
    const config = readKeyConfig(inner);
    if (config === null) continue;  // an unknown KEM: its entry is skipped whole
    if (!inner.isAtEnd) throw failure('has bytes after its suites');
    configs.push(config);
  }
  return configs;
}

/** Parses one bare key configuration (the form RFC 9458 Appendix A prints). */
export function parseKeyConfig(bytes) {
  const failure = (detail) => new LetheWebError('malformed_key_config', `the key configuration ${detail}`);
  const reader = new ByteReader(bytes, failure);
  const config = readKeyConfig(reader);
  if (config === null) throw new LetheWebError('no_usable_key', 'the pinned key configuration uses a KEM this client does not know');
  if (!reader.isAtEnd) throw failure('has bytes after its suites');
  return config;
}

// ---- Oblivious HTTP (RFC 9458 §4.3, §4.4) -----------------------------------------------------------

const requestLabel = encoder.encode('message/bhttp request');
const responseLabel = encoder.encode('message/bhttp response');

/**
 * Encapsulates a Binary HTTP request to `config` (X25519, HKDF-SHA256, AES-128-GCM only).
 * `ephemeral` (from `x25519KeyPair(raw)`) fixes the HPKE ephemeral key for vector tests.
 * Returns the `message/ohttp-req` body and the context that opens the response.
 */
export async function encapsulateRequest(config, bhttpRequest, ephemeral = null) {
  if (config.kemID !== KEM_X25519 || config.publicKey.length !== 32) {
    throw new LetheWebError('no_usable_key', `key configuration ${config.keyID} is not an X25519 key`);
  }
  if (!config.suites.some((s) => s.kdfID === KDF_HKDF_SHA256 && s.aeadID === AEAD_AES_128_GCM)) {
    throw new LetheWebError('unsupported_suite', `key configuration ${config.keyID} offers no HKDF-SHA256 with AES-128-GCM`);
  }
  const header = concat(new Uint8Array([config.keyID]), uint16(KEM_X25519), uint16(KDF_HKDF_SHA256), uint16(AEAD_AES_128_GCM));
  const info = concat(requestLabel, new Uint8Array([0x00]), header);
  const sender = await setupBaseSender(config.publicKey, info, ephemeral);
  const ciphertext = await sender.seal(bhttpRequest);
  // RFC 9458 §4.4: Nk = 16 for AES-128-GCM.
  const secret = await sender.exportSecret(responseLabel, 16);
  return {
    encapsulated: concat(header, sender.enc, ciphertext),
    context: new ResponseContext(secret, sender.enc),
    hpkeInfo: info,
  };
}

/** Opens the response of one request (RFC 9458 §4.4) and derives Lethe's receipt key. */
export class ResponseContext {
  constructor(secret, enc) { this.secret = secret; this.enc = enc; }

  /** The response AEAD key and nonce for a response nonce: prk = Extract(enc || nonce, secret). */
  async responseKeys(responseNonce) {
    const prk = await hkdfExtract(concat(this.enc, responseNonce), this.secret);
    return { prk, key: await hkdfExpand(prk, encoder.encode('key'), 16), nonce: await hkdfExpand(prk, encoder.encode('nonce'), 12) };
  }

  /** Decapsulates `response_nonce (16) || ct`; codes `malformed_response`, `response_decryption_failed`. */
  async open(encapsulatedResponse) {
    if (encapsulatedResponse.length < 16 + 16) {
      throw new LetheWebError('malformed_response', `the encapsulated response has ${encapsulatedResponse.length} bytes; at least 32 are needed`);
    }
    const keys = await this.responseKeys(encapsulatedResponse.subarray(0, 16));
    const aesKey = await crypto.subtle.importKey('raw', keys.key, 'AES-GCM', false, ['decrypt']);
    try {
      return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: keys.nonce }, aesKey, encapsulatedResponse.subarray(16)));
    } catch {
      throw new LetheWebError('response_decryption_failed', 'the response does not decrypt: it was altered or is not the answer to this request');
    }
  }

  /** Lethe's export for a response extension: HKDF(secret, salt = enc, "lethe export " + label). */
  async exportSecret(label, length) {
    const prk = await hkdfExtract(this.enc, this.secret);
    return hkdfExpand(prk, encoder.encode(`lethe export ${label}`), length);
  }
}

// ---- Binary HTTP (RFC 9292, known-length) -----------------------------------------------------------

/**
 * Encodes a known-length request (§3.1). `truncated` drops trailing empty sections (§3.8), as
 * RFC 9458 Appendix A does; the worker reads either form.
 */
export function encodeRequest({ method, scheme, authority, path, fields = [], content = new Uint8Array(0) }, truncated = false) {
  const text = (value) => prefixed(encoder.encode(value));
  const fieldBytes = concat(...fields.map(([name, value]) => concat(text(name.toLowerCase()), text(value))));
  const control = concat(varint(0), text(method), text(scheme), text(authority), text(path));
  if (truncated && fields.length === 0 && content.length === 0) return control;
  const head = concat(control, prefixed(fieldBytes), prefixed(content));
  return truncated ? head : concat(head, varint(0));
}

/** Decodes a known-length response (§3.1), skipping informational responses; code `malformed_bhttp`. */
export function decodeResponse(bytes) {
  const failure = (detail) => new LetheWebError('malformed_bhttp', `the binary HTTP response ${detail}`);
  const reader = new ByteReader(bytes, failure);
  if (reader.varint() !== 1) throw failure('is not a known-length response');
  const readFields = () => {
    if (reader.isAtEnd) return [];
    const section = new ByteReader(reader.prefixed(), failure);
    const fields = [];
    while (!section.isAtEnd) fields.push([decoder.decode(section.prefixed()).toLowerCase(), decoder.decode(section.prefixed())]);
    return fields;
  };
  let status = reader.varint();
  while (status >= 100 && status < 200) { readFields(); status = reader.varint(); }
  if (status < 200 || status > 599) throw failure(`has status ${status}`);
  const fields = readFields();
  const content = reader.isAtEnd ? new Uint8Array(0) : reader.prefixed();
  return { status, fields, content, field: (name) => fields.find(([n]) => n === name)?.[1] ?? null };
}

// ---- signed notes, receipts, Merkle proofs --------------------------------------------------------

/** Parses a C2SP verifier key `name+hexid+base64(0x01 || key)` and checks its id; code `verifier_key_invalid`. */
export async function parseVerifierKey(text) {
  // Split at the first two '+' only: the base64 key may itself contain '+'.
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  const parts = second < 0 ? [] : [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)];
  const invalid = new LetheWebError('verifier_key_invalid', 'the pinned ledger key is not an Ed25519 verifier key (name+keyid+base64)');
  if (parts.length !== 3) throw invalid;
  const material = fromBase64(parts[2]);
  if (!material || material.length !== 33 || material[0] !== 0x01 || !parts[0]) throw invalid;
  const publicKey = material.subarray(1);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(encoder.encode(parts[0]), new Uint8Array([0x0a, 0x01]), publicKey)));
  const keyID = toHex(digest.subarray(0, 4));
  if (keyID !== parts[1]) throw new LetheWebError('verifier_key_invalid', 'the pinned ledger key\'s id does not match its key');
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return { name: parts[0], keyID, key };
}

/** Opens a C2SP signed note with `verifier`; returns its text. Codes `note_malformed`, `note_unsigned`, `note_signature_invalid`. */
export async function openSignedNote(note, verifier) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new LetheWebError('note_malformed', 'the note has no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let mine = 0;
  for (const line of lines) {
    const fields = line.split(' ');
    const blob = fields.length === 3 && fields[0] === '\u2014' ? fromBase64(fields[2]) : null;
    if (!blob || blob.length <= 4) throw new LetheWebError('note_malformed', 'the note has a malformed signature line');
    if (fields[1] !== verifier.name || toHex(blob.subarray(0, 4)) !== verifier.keyID) continue;
    mine += 1;
    const valid = await crypto.subtle.verify({ name: 'Ed25519' }, verifier.key, blob.subarray(4), encoder.encode(text));
    if (!valid) throw new LetheWebError('note_signature_invalid', `the Ed25519 signature of ${verifier.name} does not verify`);
  }
  if (mine === 0) throw new LetheWebError('note_unsigned', `the note is not signed by the pinned key ${verifier.name}`);
  return text;
}

/** Canonical JSON as the ledger writes it: keys sorted, no whitespace (docs/ledger.md §3). */
export function canonicalJSON(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJSON).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJSON(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Parses a `lethe.receipt/v2` note body (docs/ledger.md §9) and checks that its record opens its
 * commitment, hex(SHA-256("lethe.commitment/v2\n" || record)); code `receipt_malformed`.
 */
export async function parseReceipt(text, verifier) {
  const lines = text.split('\n');
  const fields = new Map(lines.slice(1).filter((l) => l.includes(' ')).map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
  const periods = (fields.get('period') ?? '').split(' ');
  const commitment = fields.get('commitment') ?? '';
  const recordBytes = fromBase64(fields.get('record') ?? '');
  let recordText = null;
  let record = null;
  try {
    recordText = recordBytes ? decoder.decode(recordBytes) : null;
    record = recordText ? JSON.parse(recordText) : null;
  } catch { record = null; }
  const opened = recordBytes
    ? toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', concat(encoder.encode('lethe.commitment/v2\n'), recordBytes))))
    : '';
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  if (lines[0] !== 'lethe.receipt/v2' || periods.length !== 2 || !periods.every((t) => time.test(t)) || record === null || typeof record !== 'object'
      || canonicalJSON(record) !== recordText || opened !== commitment || record.period !== periods[0] || record.period_end !== periods[1]
      || !Number.isSafeInteger(record.sequence) || typeof record.request_id !== 'string' || typeof record.wiped_at !== 'string') {
    throw new LetheWebError('receipt_malformed', 'not a lethe.receipt/v2 receipt whose record opens its commitment');
  }
  if (fields.get('origin') !== verifier.name) throw new LetheWebError('receipt_malformed', 'the receipt names another log than the pinned key\'s');
  return {
    origin: fields.get('origin'), period: periods[0], periodEnd: periods[1], commitment, record, sequence: record.sequence,
    requestID: record.request_id, wipedAt: record.wiped_at, wipeVerified: record.wipe_verified === true,
    bytesWiped: Object.values(record.bytes_wiped ?? {}).reduce((sum, bytes) => sum + bytes, 0),
  };
}

/** The public log entry that stands for the receipt's request at place `sequence` (docs/ledger.md §5). */
export function expectedEntry(receipt, sequence) {
  return canonicalJSON({
    commitment: receipt.commitment, period: receipt.period, sequence, type: 'wipe', version: 2, wipe_verified: receipt.wipeVerified,
  });
}

/** Parses a tlog-checkpoint body (C2SP): origin, size, base64 root; code `checkpoint_malformed`. */
export function parseCheckpoint(text, verifier) {
  const lines = text.split('\n');
  const size = Number(lines[1]);
  const rootHash = fromBase64(lines[2] ?? '');
  if (lines.length < 4 || !lines[0] || !Number.isSafeInteger(size) || size < 0 || String(size) !== lines[1] || !rootHash || rootHash.length !== 32) {
    throw new LetheWebError('checkpoint_malformed', 'not a tlog-checkpoint body');
  }
  if (lines[0] !== verifier.name) throw new LetheWebError('checkpoint_origin_mismatch', 'the checkpoint names another log than the pinned key\'s');
  return { origin: lines[0], size, rootHash };
}

async function nodeHash(left, right) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(new Uint8Array([0x01]), left, right)));
}

/** RFC 9162 §2.1.3.2: is `leafHash` leaf `index` of the tree of `size` leaves with root `root`? */
export async function verifyInclusion(index, size, leafHash, proof, root) {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** Opens the `Lethe-Receipt` header: base64(nonce (12) || ChaCha20-Poly1305 ciphertext || tag). */
export async function openReceiptHeader(header, context) {
  if (!header) throw new LetheWebError('receipt_missing', 'the worker sent no Lethe-Receipt header');
  const sealed = fromBase64(header);
  const key = await context.exportSecret('receipt v1', 32);
  const plaintext = sealed && sealed.length >= 28 ? chacha20Poly1305Open(key, sealed.subarray(0, 12), sealed.subarray(12)) : null;
  if (!plaintext) throw new LetheWebError('receipt_malformed', 'the Lethe-Receipt header does not decrypt for this request');
  return new TextDecoder().decode(plaintext);
}

// ---- logged key configurations (docs/ledger.md §17) and witnesses (§16) ------------------------------

/** The RFC 9458 §3 bytes of a parsed key configuration: key_id, kem_id, public key, suites. */
export function encodeKeyConfig(config) {
  const suites = concat(...config.suites.map((suite) => concat(uint16(suite.kdfID), uint16(suite.aeadID))));
  return concat(new Uint8Array([config.keyID]), uint16(config.kemID), config.publicKey, uint16(suites.length), suites);
}

/** Parses a C2SP tlog-cosignature vkey `name+hexid+base64(0x04 || key)` and checks its id; code `witness_key_invalid`. */
export async function parseCosignerKey(text) {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  const invalid = new LetheWebError('witness_key_invalid', 'a witness key is not an Ed25519 cosigner vkey (name+keyid+base64(0x04||key))');
  if (second < 0 || first === 0) throw invalid;
  const [name, keyID, material] = [trimmed.slice(0, first), trimmed.slice(first + 1, second), fromBase64(trimmed.slice(second + 1))];
  if (!material || material.length !== 33 || material[0] !== 0x04) throw invalid;
  const publicKey = material.subarray(1);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(encoder.encode(name), new Uint8Array([0x0a, 0x04]), publicKey)));
  if (toHex(digest.subarray(0, 4)) !== keyID) throw invalid;
  return { name, keyID, key: await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']) };
}

/**
 * The witnesses of `policy` ({ witnesses: [vkey…], quorum }) whose cosignature/v1 of the checkpoint
 * `note` verifies (C2SP tlog-cosignature: Ed25519 over `cosignature/v1\ntime T\n` || body, the
 * signature blob being key id (4) || T (8, big-endian) || signature (64)); fewer than the quorum
 * (default: all) is `witness_quorum_missing`, as LetheClient's WitnessPolicy.
 */
export async function checkWitnessPolicy(note, policy) {
  const witnesses = await Promise.all(policy.witnesses.map(parseCosignerKey));
  const quorum = policy.quorum ?? witnesses.length;
  const split = note.lastIndexOf('\n\n');
  const body = note.slice(0, split + 1);
  const cosigners = [];
  for (const witness of witnesses) {
    for (const line of note.slice(split + 2, -1).split('\n')) {
      const fields = line.split(' ');
      const blob = fields.length === 3 && fields[0] === '\u2014' && fields[1] === witness.name ? fromBase64(fields[2]) : null;
      if (!blob || blob.length !== 4 + 8 + 64 || toHex(blob.subarray(0, 4)) !== witness.keyID) continue;
      const time = new DataView(blob.buffer, blob.byteOffset + 4, 8).getBigUint64(0);
      if (time > 2n ** 63n - 1n) continue;
      const message = encoder.encode(`cosignature/v1\ntime ${time}\n${body}`);
      if (await crypto.subtle.verify({ name: 'Ed25519' }, witness.key, blob.subarray(12), message)) { cosigners.push(witness.name); break; }
    }
  }
  if (cosigners.length < quorum) {
    throw new LetheWebError('witness_quorum_missing', `${cosigners.length} of the ${quorum} required witness cosignatures (of ${witnesses.length} witnesses) verify`);
  }
  return cosigners;
}

// ---- the client ------------------------------------------------------------------------------

/** RFC 9110 §5.6.7 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function imfFixdate(date) {
  return date.toUTCString();
}

/**
 * A non-200 answer as an error: the RFC 9457 problem document's code and title when the body is
 * one (the worker's routes answer their failures so), `unexpected_response` otherwise.
 */
function refusal(response, body, what) {
  let problem = null;
  try { problem = JSON.parse(new TextDecoder().decode(body)); } catch { /* not JSON */ }
  return new LetheWebError(problem?.code ?? 'unexpected_response', problem?.title ?? `${what} answered ${response.status}`, response.status);
}

/**
 * The device side in a page: discovers the worker's key, encrypts the photo to it, opens the
 * answer and proves the deletion receipt against the ledger key the page pins.
 */
export class LetheWebClient {
  /**
   * @param {object} options
   * @param {string} options.serverURL base URL of the worker (or an OHTTP relay); default: the page's origin.
   * @param {string} options.token the device's bearer token (travels only inside the encrypted request).
   * @param {string} options.ledgerKey the worker's C2SP verifier key, pinned (never fetched).
   * @param {Uint8Array} [options.keyConfig] a pinned key configuration instead of key discovery.
   * @param {number} [options.timeoutMilliseconds] bound of each exchange (default one minute).
   * @param {{witnesses: string[], quorum?: number}} [options.witnessPolicy] witnesses' vkeys and how many of them
   *   (default all) must have cosigned every checkpoint the page relies on.
   */
  constructor({ serverURL = globalThis.location?.origin, token, ledgerKey, keyConfig = null, timeoutMilliseconds = 60000, witnessPolicy = null }) {
    this.serverURL = new URL(serverURL);
    this.token = token;
    this.ledgerKey = ledgerKey;
    this.witnessPolicy = witnessPolicy?.witnesses?.length ? witnessPolicy : null;
    this.pinnedKeyConfig = keyConfig;
    /** How long each exchange with the worker may take before it fails with `worker_timeout`. */
    this.timeoutMilliseconds = timeoutMilliseconds;
    /** Test hook: called with the encapsulated response bytes before they are opened; may return others. */
    this.responseHook = null;
    /** Test hook: called with the opened receipt note before its signature is checked. */
    this.receiptHook = null;
    /** Test hook: called with the key discovery body (RFC 9540 list); may return another (a worker that targets this device). */
    this.keyDiscoveryHook = null;
  }

  url(path) { return new URL(path, this.serverURL); }

  /** `fetch` with the client's timeout; a failure to connect or to answer in time as its code. */
  async fetchOrFail(input, init = {}) {
    try {
      return await fetch(input, { ...init, signal: AbortSignal.timeout(this.timeoutMilliseconds) });
    } catch (error) {
      // A page learns no more than this: fetch hides refused, DNS and TLS failures alike.
      if (error?.name === 'TimeoutError') throw new LetheWebError('worker_timeout', `${this.serverURL.host} did not answer in time`);
      throw new LetheWebError('worker_unreachable', `${this.serverURL.host} could not be reached`);
    }
  }

  /** The body of `response`; an answer cut off on the way is `response_truncated`. */
  async bodyOf(response) {
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      if (error?.name === 'TimeoutError') throw new LetheWebError('worker_timeout', `${this.serverURL.host} did not finish its answer in time`);
      throw new LetheWebError('response_truncated', `the connection to ${this.serverURL.host} ended before the whole answer arrived`);
    }
  }

  /** RFC 9540 key discovery: the worker's X25519 key configuration. */
  async keyConfig() {
    if (this.pinnedKeyConfig) return parseKeyConfig(this.pinnedKeyConfig);
    const response = await this.fetchOrFail(this.url('/.well-known/ohttp-gateway'), { headers: { accept: 'application/ohttp-keys' } });
    const body = await this.bodyOf(response);
    if (response.status !== 200) throw refusal(response, body, 'key discovery');
    const configs = parseKeyConfigs(this.keyDiscoveryHook?.(body) ?? body);
    const config = configs.find((c) => c.kemID === KEM_X25519);
    if (!config) throw new LetheWebError('no_usable_key', 'the worker publishes no X25519 key');
    return config;
  }

  /**
   * Analyses one photo. `parameters` are the query (kind, profile, mm_per_pixel, simulate, strength…).
   * Returns `{ response, receipt }` with the receipt's signature checked; throws `LetheWebError`.
   */
  async analyze(photo, parameters) {
    const verifier = await parseVerifierKey(this.ledgerKey);
    const config = await this.keyConfig();
    // Never encrypt to a key configuration that is not in the public log (key targeting, RFC 9458 §7).
    await this.proveKeyConfig(config, verifier);
    const query = new URLSearchParams(Object.entries(parameters).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    let date = new Date();
    for (let attempt = 0; ; attempt += 1) {
      // The device's own request id, sent inside the encryption: the worker records it, so that
      // the receipt proves the deletion of this request only (as LetheClient does).
      const requestID = newRequestID();
      const inner = encodeRequest({
        method: 'POST', scheme: this.serverURL.protocol.replace(':', ''), authority: this.serverURL.host, path: `/v1/analyses?${query}`,
        fields: [['authorization', `Bearer ${this.token}`], ['content-type', photo.type || 'application/octet-stream'], ['date', imfFixdate(date)],
          ['lethe-request-id', requestID]],
        content: photo.bytes,
      });
      let exchanged;
      try {
        exchanged = await this.exchange(config, inner, verifier);
      } finally {
        // The inner request holds a copy of the photo: zero it whatever happened.
        inner.fill(0);
      }
      const { status, head, content, outerDate } = exchanged;
      // A receipt counts only when its record names this request.
      const receipt = exchanged.receipt?.requestID === requestID ? exchanged.receipt : null;
      if (status === 200) {
        let response;
        try { response = JSON.parse(new TextDecoder().decode(content)); } catch {
          throw new LetheWebError('unexpected_response', 'the worker\'s answer is not the documented JSON');
        }
        if (response.request_id !== requestID) {
          throw new LetheWebError('receipt_unbound', `the answer is for request ${response.request_id}, not for this page's ${requestID}`);
        }
        if (!receipt) {
          throw new LetheWebError('receipt_unbound', `the receipt is for request ${exchanged.receipt?.requestID}, not for this page's ${requestID}`);
        }
        return { response, receipt };
      }
      let failure = null;
      try { failure = JSON.parse(new TextDecoder().decode(content)); } catch { /* not the documented JSON */ }
      const code = failure?.error?.code ?? 'unexpected_response';
      // The worker refuses a request whose inner Date is far from its clock with request_stale
      // (replay protection, RFC 9458 §6.5.2): retry once, newly encapsulated, with the worker's own
      // Date (the inner one, which no relay can alter), so a device with a wrong clock still works.
      const workerDate = head.field('date') ?? outerDate;
      if (attempt === 0 && code === 'request_stale' && workerDate && !Number.isNaN(Date.parse(workerDate))) {
        date = new Date(Date.parse(workerDate));
        continue;
      }
      const error = new LetheWebError(code, failure?.error?.message ?? `the worker answered ${status}`, status, failure?.request_id ?? null);
      error.receipt = receipt;
      throw error;
    }
  }

  /**
   * Proves that `config` is logged before the page encrypts to it, as LetheClient.proveKeyConfig
   * (docs/ledger.md §17): reads `/ledger/ohttp-keys`, opens its checkpoint with the pinned ledger
   * key, requires the witness policy's quorum, finds the `ohttp_key` entry holding exactly the
   * config's bytes at its own index and checks its RFC 9162 inclusion proof against the
   * checkpoint's root. Codes `key_config_unlogged`, signature and `witness_quorum_missing` codes.
   */
  async proveKeyConfig(config, verifier) {
    const unlogged = (why) => new LetheWebError('key_config_unlogged', why);
    const response = await this.fetchOrFail(this.url('/ledger/ohttp-keys'), { cache: 'no-store' });
    const body = await this.bodyOf(response);
    if (response.status !== 200) throw unlogged(`the worker serves no proof for its key configurations (HTTP ${response.status})`);
    let document = null;
    try { document = JSON.parse(decoder.decode(body)); } catch { /* not the documented JSON */ }
    if (typeof document?.checkpoint !== 'string' || !Array.isArray(document?.keys)) throw unlogged('the key log document is not of its documented form');
    const checkpoint = parseCheckpoint(await openSignedNote(document.checkpoint, verifier), verifier);
    const cosigners = this.witnessPolicy ? await checkWitnessPolicy(document.checkpoint, this.witnessPolicy) : [];
    const encoded = toBase64(encodeKeyConfig(config));
    const logged = document.keys.find((item) => {
      let entry = null;
      try { entry = typeof item?.entry === 'string' ? JSON.parse(item.entry) : null; } catch { return false; }
      return entry?.type === 'ohttp_key' && canonicalJSON(entry) === item.entry && entry.config === encoded && entry.sequence === item.index;
    });
    if (!logged) throw unlogged(`key configuration ${config.keyID} is not among the worker's logged key configurations`);
    const proof = Array.isArray(logged.proof) ? logged.proof.map(fromBase64) : null;
    const leafHash = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(new Uint8Array([0x00]), encoder.encode(logged.entry))));
    const proven = proof && proof.every((hash) => hash && hash.length === 32)
      && await verifyInclusion(logged.index, checkpoint.size, leafHash, proof, checkpoint.rootHash);
    if (!proven) throw unlogged(`the entry of key configuration ${config.keyID} is not proven to be in checkpoint ${checkpoint.size}`);
    return { index: logged.index, checkpoint, cosigners };
  }

  /** One OHTTP round trip: encapsulate, POST, check the receipt, open the answer. */
  async exchange(config, inner, verifier) {
    const { encapsulated, context } = await encapsulateRequest(config, inner);
    const response = await this.fetchOrFail(this.url('/.well-known/ohttp-gateway'), {
      method: 'POST', headers: { 'content-type': 'message/ohttp-req' }, body: encapsulated,
    });
    let body = await this.bodyOf(response);
    // RFC 9458 §5.2: the envelope itself was refused; the body is a problem document.
    if (response.status !== 200) throw refusal(response, body, 'the gateway');
    if (this.responseHook) body = this.responseHook(body) ?? body;
    // The receipt is checked before the answer is used: a wrong signature is an error of its own.
    let note = await openReceiptHeader(response.headers.get('lethe-receipt'), context);
    if (this.receiptHook) note = this.receiptHook(note);
    const receipt = await parseReceipt(await openSignedNote(note, verifier), verifier);
    receipt.note = note;
    const opened = await context.open(body);
    const head = decodeResponse(opened);
    return { status: head.status, head, content: head.content, receipt, outerDate: response.headers.get('date') };
  }

  /**
   * Waits for the receipt's period to be published, finds its commitment among the period's entries
   * (reading them all, so that the reads do not single it out), checks that the entry is the one
   * the receipt promises, waits for a signed checkpoint covering it and checks its RFC 9162
   * inclusion proof. Codes `checkpoint_timeout`, `inclusion_proof_invalid`, signature codes.
   */
  async proveInclusion(receipt, timeoutMilliseconds = 150000) {
    const verifier = await parseVerifierKey(this.ledgerKey);
    const deadline = Date.now() + timeoutMilliseconds;
    const waitOrGiveUp = async (what) => {
      if (Date.now() > deadline) throw new LetheWebError('checkpoint_timeout', `${what} in time`);
      await new Promise((resolve) => { setTimeout(resolve, 200); });
    };
    // A period can have several batches (one closed early, the rest at its end): look until found.
    const scanned = new Set();
    let found = null;
    while (!found) {
      // The period is checked to be plain RFC 3339 (digits, '-', ':', '.', 'T', 'Z'): sent as is, as the ledger spells it.
      const response = await this.fetchOrFail(this.url(`/ledger/period?start=${receipt.period}`), { cache: 'no-store' });
      const document = response.status === 200 ? await response.json() : null;
      for (const batch of Array.isArray(document?.batches) ? document.batches : []) {
        if (found || scanned.has(batch.first) || !Number.isSafeInteger(batch.first) || !Number.isSafeInteger(batch.summary)) continue;
        for (let start = batch.first; start <= batch.summary && !found; start += 1000) {
          const end = Math.min(batch.summary + 1, start + 1000);
          const entries = await this.fetchOrFail(this.url(`/ledger/entries?start=${start}&end=${end}`), { cache: 'no-store' });
          const lines = entries.status === 200 ? (await entries.text()).split('\n') : [];
          lines.forEach((line, offset) => {
            if (!found && line.includes(`"commitment":"${receipt.commitment}"`)) found = { index: start + offset, line };
          });
        }
        scanned.add(batch.first);
      }
      if (!found) await waitOrGiveUp(`the commitment of record #${receipt.sequence} was not published`);
    }
    if (found.line !== expectedEntry(receipt, found.index)) {
      throw new LetheWebError('inclusion_proof_invalid', `the published entry of record #${receipt.sequence} is not the one its receipt promises`);
    }
    const leafHash = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(new Uint8Array([0x00]), encoder.encode(found.line))));
    let checkpoint = null;
    while (!checkpoint) {
      const response = await this.fetchOrFail(this.url('/ledger/checkpoint'), { cache: 'no-store' });
      if (response.status === 200) {
        const latest = parseCheckpoint(await openSignedNote(await response.text(), verifier), verifier);
        if (latest.size > found.index) { checkpoint = latest; break; }
      }
      await waitOrGiveUp(`no checkpoint covered entry #${found.index}`);
    }
    const response = await this.fetchOrFail(this.url(`/ledger/proof/inclusion?index=${found.index}&size=${checkpoint.size}`));
    const document = response.status === 200 ? await response.json() : null;
    const proof = Array.isArray(document?.proof) ? document.proof.map(fromBase64) : null;
    const ok = proof && proof.every((h) => h && h.length === 32)
      && await verifyInclusion(found.index, checkpoint.size, leafHash, proof, checkpoint.rootHash);
    if (!ok) throw new LetheWebError('inclusion_proof_invalid', `entry #${found.index} is not proven to be in checkpoint ${checkpoint.size}`);
    return { receipt, index: found.index, checkpoint };
  }
}
