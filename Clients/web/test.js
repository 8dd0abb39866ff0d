// Self-tests of the browser client, run by Tests/LetheResidueTests/WebClientBrowserTests.swift in
// headless Chromium against a real worker. `?suite=vectors` checks RFC 9458 Appendix A byte for
// byte and RFC 8439's vectors; `?suite=e2e&token=…&ledger_key=…&photo=…` analyses a photo end to
// end, proves the receipt and checks that tampering is refused with the right codes. The
// results are written as JSON into #results, for `chromium --dump-dom`.
import {
  LetheWebError, ResponseContext, concat, decodeResponse, encapsulateRequest, encodeRequest, fromHex, parseKeyConfig,
  parseKeyConfigs, toHex, x25519KeyPair, LetheWebClient, imfFixdate, parseVerifierKey, checkWitnessPolicy, encodeKeyConfig,
} from './lethe-client.js';
import { chacha20Poly1305Open, poly1305 } from './chacha20poly1305.js';
import { errorLine, measuresOf, renderResult } from './view.js';

const query = new URLSearchParams(location.search);
const results = {};

async function codeOf(promise) {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof LetheWebError ? error.code : `unexpected:${error?.name}`;
  }
}

/** Like `codeOf`, and shows the failure's one line in the page (as the demo page shows it). */
async function shownCodeOf(name, promise) {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    const item = document.createElement('li');
    item.id = `message-${name}`;
    item.textContent = errorLine(error);
    document.getElementById('messages').append(item);
    results[`${name}_line`] = item.textContent;
    return error instanceof LetheWebError ? error.code : `unexpected:${error?.name}`;
  }
}

async function vectors() {
  const vector = await (await fetch(query.get('vectors') ?? 'rfc9458-appendix-a.json')).json();
  const config = parseKeyConfig(fromHex(vector.key_config));
  results.key_config = `${config.keyID}/${config.kemID}/${config.suites.map((s) => `${s.kdfID}.${s.aeadID}`).join(',')}`;
  const bhttp = encodeRequest({ method: 'GET', scheme: 'https', authority: 'example.com', path: '/' }, true);
  results.bhttp_request = toHex(bhttp) === vector.bhttp_request;
  const ephemeral = await x25519KeyPair(fromHex(vector.client_ephemeral_private_key));
  results.ephemeral_public_key = toHex(ephemeral.publicKey) === vector.client_ephemeral_public_key_enc;
  const { encapsulated, context, hpkeInfo } = await encapsulateRequest(config, bhttp, ephemeral);
  results.hpke_info = toHex(hpkeInfo) === vector.hpke_info;
  results.encapsulated_request = toHex(encapsulated) === vector.encapsulated_request;
  results.exported_secret = toHex(context.secret) === vector.exported_secret;
  const keys = await context.responseKeys(fromHex(vector.response_nonce));
  results.response_keys = toHex(keys.prk) === vector.response_prk && toHex(keys.key) === vector.response_aead_key
    && toHex(keys.nonce) === vector.response_aead_nonce;
  const opened = await context.open(fromHex(vector.encapsulated_response));
  results.bhttp_response = toHex(opened) === vector.bhttp_response && decodeResponse(opened).status === 200;

  const tampered = fromHex(vector.encapsulated_response);
  tampered[tampered.length - 1] ^= 0x01;
  results.tampered_response = await codeOf(context.open(tampered));
  results.truncated_response = await codeOf(context.open(fromHex(vector.encapsulated_response).subarray(0, 20)));
  results.truncated_key_config = await codeOf(Promise.resolve().then(() => parseKeyConfigs(fromHex(`0028${vector.key_config}`).subarray(0, 30))));
  const otherContext = new ResponseContext(new Uint8Array(16), ephemeral.publicKey);
  results.response_to_another_request = await codeOf(otherContext.open(fromHex(vector.encapsulated_response)));

  // RFC 9110 §5.6.7's example of the inner request's `date` field.
  results.imf_fixdate = imfFixdate(new Date(Date.UTC(1994, 10, 6, 8, 49, 37))) === 'Sun, 06 Nov 1994 08:49:37 GMT';

  // RFC 8439 §2.5.2 (Poly1305) and §2.8.2 (AEAD), the receipt header's cipher.
  results.poly1305 = toHex(poly1305(fromHex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b'),
    new TextEncoder().encode('Cryptographic Forum Research Group'))) === 'a8061dc1305136c6c22b8baf0c0127a9';
  const sealed = fromHex('d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116'
    + '1ae10b594f09e26a7e902ecbd0600691');
  const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = fromHex('070000004041424344454647');
  const aad = fromHex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = chacha20Poly1305Open(key, nonce, sealed, aad);
  results.chacha20_poly1305 = plaintext !== null && new TextDecoder().decode(plaintext).startsWith('Ladies and Gentlemen of the class of \'99');
  sealed[3] ^= 0x01;
  results.chacha20_poly1305_tampered = chacha20Poly1305Open(key, nonce, sealed, aad) === null;

  // A checkpoint cosigned by Lethe's witness code (Swift): the page's tlog-cosignature check.
  if (query.has('cosigned_note')) {
    const policy = { witnesses: [query.get('witness_key')] };
    results.cosigners = await checkWitnessPolicy(query.get('cosigned_note'), policy);
    results.cosignature_tampered = await codeOf(checkWitnessPolicy(query.get('cosigned_note').replace(/^(\d+)$/m, (size) => `${Number(size) + 1}`), policy));
    results.cosignature_other_witness = await codeOf(checkWitnessPolicy(query.get('cosigned_note'), { witnesses: [query.get('other_witness_key')] }));
  }
}

function client(options = {}) {
  return new LetheWebClient({ serverURL: location.origin, token: query.get('token'), ledgerKey: query.get('ledger_key'), ...options });
}

async function endToEnd() {
  const photoResponse = await fetch(query.get('photo'));
  const photo = { bytes: new Uint8Array(await photoResponse.arrayBuffer()), type: photoResponse.headers.get('content-type') };
  const parameters = Object.fromEntries(['kind', 'simulate', 'strength', 'max_dimension'].filter((k) => query.has(k)).map((k) => [k, query.get(k)]));

  // The worker's key configuration is in its log: proven under the pinned ledger key.
  const logged = await client().proveKeyConfig(await client().keyConfig(), await parseVerifierKey(query.get('ledger_key')));
  results.logged_key_index = logged.index;
  results.logged_key_checkpoint_size = logged.checkpoint.size;

  const { response, receipt } = await client().analyze(photo, parameters);
  results.measures = measuresOf(response);
  results.receipt_request_id = receipt.requestID === response.request_id;
  // The worker under test publishes every record at once: half a minute is plenty.
  const proven = await client().proveInclusion(receipt, 30000);
  results.receipt_index = proven.index;
  results.proof_checkpoint_size = proven.checkpoint.size;
  renderResult(document.getElementById('result'), response, proven);

  // A flipped byte of the encapsulated response: AES-GCM refuses it.
  const tampering = client();
  tampering.responseHook = (body) => { body[body.length - 5] ^= 0x01; };
  results.tampered_response = await codeOf(tampering.analyze(photo, parameters));
  // A receipt whose text was altered after signing: the Ed25519 signature fails.
  const forging = client();
  forging.receiptHook = (note) => note.replace(/^period (\S+) /m, (_, start) => `period ${start.replace(/.$/, 'z')} `);
  results.tampered_receipt = await shownCodeOf('tampered_receipt', forging.analyze(photo, parameters));
  // An encapsulated response cut short on the way: too short to hold its nonce and tag.
  const truncating = client();
  truncating.responseHook = (body) => body.subarray(0, 20);
  results.truncated_response = await shownCodeOf('truncated_response', truncating.analyze(photo, parameters));
  // The worker's own request id in the answer is the page's (the receipt is bound to it).
  results.request_id_is_the_pages = /^[0-9a-f]{32}$/.test(response.request_id);
  // A receipt checked against another log's key: not signed by the pinned key.
  if (query.has('other_ledger_key')) results.other_ledger_key = await codeOf(client({ ledgerKey: query.get('other_ledger_key') }).analyze(photo, parameters));
  // A key configuration that is not in the log (right form, a key for this device alone), pinned
  // out of band or served by key discovery: the page refuses to encrypt to it.
  const stranger = await x25519KeyPair();
  const targetedConfig = concat(new Uint8Array([1, 0x00, 0x20]), stranger.publicKey, new Uint8Array([0, 4, 0, 1, 0, 1]));
  results.unlogged_key_config = await shownCodeOf('unlogged_key_config', client({ keyConfig: targetedConfig }).analyze(photo, parameters));
  const targeting = client();
  targeting.keyDiscoveryHook = () => concat(new Uint8Array([0, targetedConfig.length]), targetedConfig);
  results.targeted_key_config = await codeOf(targeting.analyze(photo, parameters));
  results.targeted_key_config_is_served = toHex(encodeKeyConfig(await targeting.keyConfig())) === toHex(targetedConfig);
  // A witness policy the worker's checkpoints do not meet: nothing is encrypted.
  if (query.has('witness_key')) results.witness_policy_unmet = await codeOf(client({ witnessPolicy: { witnesses: [query.get('witness_key')] } }).analyze(photo, parameters));
  results.malformed_key_config = await shownCodeOf('malformed_key_config', client({ keyConfig: targetedConfig.subarray(0, 20) }).analyze(photo, parameters));
  // A photo of 1 GiB: more than a Binary HTTP length this client encodes, refused before anything
  // is encrypted or sent (the array's pages are never written, so it costs no memory).
  const huge = { bytes: new Uint8Array(2 ** 30), type: 'image/jpeg' };
  results.request_too_large = await shownCodeOf('request_too_large', client().analyze(huge, parameters));
  photo.bytes.fill(0);
}

try {
  if (query.get('suite') === 'vectors') await vectors();
  else await endToEnd();
  results.status = 'done';
} catch (error) {
  results.status = 'failed';
  results.error = `${error?.code ?? error?.name}: ${error?.message}`;
}
document.getElementById('results').textContent = JSON.stringify(results, null, 1);
document.getElementById('summary').textContent = results.status === 'done' ? 'All steps ran; the checks are below.' : `Failed: ${results.error}`;
