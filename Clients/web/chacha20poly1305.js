// ChaCha20-Poly1305 (RFC 8439) for opening Lethe's sealed receipt header. WebCrypto offers no
// ChaCha20-Poly1305, and the page may load no third-party script, so this is the RFC's algorithm,
// decryption only, checked against RFC 8439 §2.8.2 by the self-tests. The receipt is public
// data once opened (a signed statement with no personal data), so constant time matters only for
// the tag comparison, which is done without early exit.

function rotl(value, shift) {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

function quarterRound(s, a, b, c, d) {
  s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 16);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 12);
  s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 8);
  s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 7);
}

// RFC 8439 §2.3: one 64-byte keystream block.
function chachaBlock(key, counter, nonce) {
  const view = (bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const k = view(key);
  const n = view(nonce);
  const state = new Uint32Array(16);
  state.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
  for (let i = 0; i < 8; i += 1) state[4 + i] = k.getUint32(4 * i, true);
  state[12] = counter >>> 0;
  for (let i = 0; i < 3; i += 1) state[13 + i] = n.getUint32(4 * i, true);
  const working = state.slice();
  for (let round = 0; round < 10; round += 1) {
    quarterRound(working, 0, 4, 8, 12); quarterRound(working, 1, 5, 9, 13);
    quarterRound(working, 2, 6, 10, 14); quarterRound(working, 3, 7, 11, 15);
    quarterRound(working, 0, 5, 10, 15); quarterRound(working, 1, 6, 11, 12);
    quarterRound(working, 2, 7, 8, 13); quarterRound(working, 3, 4, 9, 14);
  }
  const out = new Uint8Array(64);
  const outView = view(out);
  for (let i = 0; i < 16; i += 1) outView.setUint32(4 * i, (working[i] + state[i]) >>> 0, true);
  return out;
}

/** RFC 8439 §2.4: XORs `data` with the keystream starting at block `counter`. */
export function chacha20(key, counter, nonce, data) {
  const out = new Uint8Array(data.length);
  for (let offset = 0, block = counter; offset < data.length; offset += 64, block += 1) {
    const stream = chachaBlock(key, block, nonce);
    for (let i = 0; i < 64 && offset + i < data.length; i += 1) out[offset + i] = data[offset + i] ^ stream[i];
  }
  return out;
}

function littleEndianNumber(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** RFC 8439 §2.5: the Poly1305 tag of `message` under the 32-byte one-time key. */
export function poly1305(oneTimeKey, message) {
  const p = (1n << 130n) - 5n;
  const r = littleEndianNumber(oneTimeKey.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = littleEndianNumber(oneTimeKey.subarray(16, 32));
  let accumulator = 0n;
  for (let offset = 0; offset < message.length; offset += 16) {
    const chunk = message.subarray(offset, Math.min(offset + 16, message.length));
    const n = littleEndianNumber(chunk) | (1n << BigInt(8 * chunk.length));
    accumulator = ((accumulator + n) * r) % p;
  }
  accumulator = (accumulator + s) & ((1n << 128n) - 1n);
  const tag = new Uint8Array(16);
  for (let i = 0; i < 16; i += 1) { tag[i] = Number(accumulator & 0xffn); accumulator >>= 8n; }
  return tag;
}

function padded16(length) {
  return (16 - (length % 16)) % 16;
}

/**
 * RFC 8439 §2.8: opens `ciphertext || tag` with the 32-byte key and 12-byte nonce.
 * Returns null when the tag does not verify.
 */
export function chacha20Poly1305Open(key, nonce, sealed, associatedData = new Uint8Array(0)) {
  if (key.length !== 32 || nonce.length !== 12 || sealed.length < 16) return null;
  const ciphertext = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  const oneTimeKey = chachaBlock(key, 0, nonce).subarray(0, 32);
  const macLength = associatedData.length + padded16(associatedData.length) + ciphertext.length + padded16(ciphertext.length) + 16;
  const macData = new Uint8Array(macLength);
  macData.set(associatedData, 0);
  const cipherStart = associatedData.length + padded16(associatedData.length);
  macData.set(ciphertext, cipherStart);
  const lengths = new DataView(macData.buffer, macLength - 16, 16);
  lengths.setBigUint64(0, BigInt(associatedData.length), true);
  lengths.setBigUint64(8, BigInt(ciphertext.length), true);
  const expected = poly1305(oneTimeKey, macData);
  let difference = 0;
  for (let i = 0; i < 16; i += 1) difference |= expected[i] ^ tag[i];
  if (difference !== 0) return null;
  return chacha20(key, 1, nonce, ciphertext);
}
