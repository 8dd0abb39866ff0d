// The demo page: pick or capture a photo, analyse it through the browser client, show the result.
// The photo's bytes live only in this module's variables (no form, no storage) and are zeroed
// when cleared or replaced; result images are object URLs revoked on clear.
import { LetheWebClient } from './lethe-client.js';
import { errorLine, renderResult, revokeImages } from './view.js';

const $ = (id) => document.getElementById(id);
const fragment = new URLSearchParams(location.hash.slice(1));
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content || '';

$('ledger-key').value = fragment.get('ledger_key') || meta('lethe-ledger-key');
$('token').value = fragment.get('token') || '';
// The witness policy, as configured for the deployment: space-separated cosigner vkeys and how many
// of them must have cosigned every checkpoint (default all). Without it, the ledger key alone.
const witnessPolicy = {
  witnesses: (fragment.get('witnesses') || meta('lethe-witnesses')).split(' ').filter(Boolean),
  quorum: Number(fragment.get('witness_quorum') || meta('lethe-witness-quorum')) || undefined,
};
// The fragment is not sent to servers, but should not stay in the history either.
if (location.hash) history.replaceState(null, '', location.pathname + location.search);

let photo = null;

function clearPhoto() {
  if (photo) photo.bytes.fill(0);
  photo = null;
  $('photo').value = '';
  $('analyse').disabled = true;
}

function status(text, failed = false) {
  $('status').textContent = text;
  $('status').classList.toggle('failed', failed);
}

function parameters() {
  const kind = $('kind').value;
  const simulate = kind === 'scalp' ? 'hair,flakes' : 'spots,redness,pores,wrinkles,evenness';
  return {
    kind, simulate, strength: $('strength').value, max_dimension: '1024',
    profile: kind === 'scalp' ? $('profile').value.trim() : '',
    mm_per_pixel: kind === 'scalp' ? $('mm-per-pixel').value : '',
  };
}

async function analyse() {
  if (!photo) return;
  $('analyse').disabled = true;
  status('Encrypting and analysing…');
  const client = new LetheWebClient({ serverURL: meta('lethe-server') || location.origin, token: $('token').value, ledgerKey: $('ledger-key').value, witnessPolicy });
  try {
    const { response, receipt } = await client.analyze(photo, parameters());
    status('Proving the deletion…');
    let proven = { receipt, checkpoint: null };
    let proofError = null;
    try { proven = await client.proveInclusion(receipt); } catch (error) { proofError = error; }
    renderResult($('result'), response, proven, proofError);
    status(proofError ? `Analysed; the deletion proof failed: ${errorLine(proofError)}` : 'Analysed; deletion proven.', Boolean(proofError));
  } catch (error) {
    status(errorLine(error), true);
  } finally {
    $('analyse').disabled = !photo;
  }
}

$('photo').addEventListener('change', async () => {
  const file = $('photo').files[0];
  clearPhotoBytesOnly();
  if (!file) return;
  photo = { bytes: new Uint8Array(await file.arrayBuffer()), type: file.type };
  // The input keeps a File reference; clear it so only `photo` holds the bytes.
  $('photo').value = '';
  $('analyse').disabled = false;
  status(`Photo ready (${photo.bytes.length} bytes). Nothing has left this page yet.`);
});

function clearPhotoBytesOnly() {
  if (photo) photo.bytes.fill(0);
  photo = null;
}

$('kind').addEventListener('change', () => {
  document.body.classList.toggle('scalp', $('kind').value === 'scalp');
});
$('strength').addEventListener('input', () => { $('strength-value').textContent = $('strength').value; });
// Moving the slider re-requests the preview at the new strength (a new encrypted request).
$('strength').addEventListener('change', () => { if (photo && $('result').childElementCount) analyse(); });
$('analyse').addEventListener('click', analyse);
$('clear').addEventListener('click', () => {
  clearPhoto();
  revokeImages();
  $('result').replaceChildren();
  status('Cleared: the photo and the results are gone from this page.');
});
window.addEventListener('pagehide', () => { clearPhoto(); revokeImages(); });
