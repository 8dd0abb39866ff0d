// Renders an analysis for people: the measures as a table, the overlay and after-care preview
// images, and the deletion receipt. Shared by the demo page and the test page (whose screenshot
// is the README's). Images go through object URLs the view owns and revokes.
import { fromBase64 } from './lethe-client.js';

const objectURLs = new Set();

/** Revokes every object URL this view made (the decoded images then live only until GC). */
export function revokeImages() {
  for (const url of objectURLs) URL.revokeObjectURL(url);
  objectURLs.clear();
}

function element(name, attributes = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function label(key) {
  return key.replace(/_/g, ' ');
}

function formatValue(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

const hiddenKeys = new Set(['box', 'detector_neighbours', 'region']);

// Flattens nested measures to rows ("redness › area fraction", 0.021); arrays of numbers joined.
function rows(object, prefix = '') {
  const out = [];
  for (const [key, value] of Object.entries(object ?? {})) {
    // Pixel boxes locate regions for the overlay; as numbers in a table they only add noise.
    if (hiddenKeys.has(key)) continue;
    const name = prefix ? `${prefix} › ${label(key)}` : label(key);
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== 'object')) out.push([name, value.map(formatValue).join(', ')]);
      // A region is named by its `region` field (forehead, left cheek…), else by its position.
      else value.forEach((item, index) => out.push(...rows(item, `${name} › ${label(String(item?.region ?? index + 1))}`)));
    } else if (typeof value === 'object') {
      out.push(...rows(value, name));
    } else {
      out.push([name, formatValue(value)]);
    }
  }
  return out;
}

/** The measures of a response: skin `measures`, `face` or `scalp` (whichever the kind filled). */
export function measuresOf(response) {
  const measures = {};
  for (const key of ['face', 'measures', 'scalp']) if (response[key]) measures[key] = response[key];
  return measures;
}

function imageFigure(image, caption) {
  const bytes = fromBase64(image.data);
  const url = URL.createObjectURL(new Blob([bytes], { type: image.media_type }));
  bytes.fill(0);
  objectURLs.add(url);
  return element('figure', {}, element('img', { src: url, alt: caption, width: String(image.width), height: String(image.height) }), element('figcaption', {}, caption));
}

/** Renders `response` and its proven receipt into `container` (replacing what was there). */
export function renderResult(container, response, proven, proofError = null) {
  revokeImages();
  container.replaceChildren(receiptLine(proven, proofError));
  const figures = element('div', { class: 'figures' });
  if (response.overlay) figures.append(imageFigure(response.overlay, 'overlay: where each concern was measured'));
  if (response.preview) figures.append(imageFigure(response.preview, 'after-care preview'));
  if (figures.childElementCount) container.append(figures);

  const table = element('table', { class: 'measures' }, element('caption', {}, `${response.kind} analysis of a ${response.image.width}×${response.image.height} ${response.image.format} photo`));
  const body = element('tbody');
  for (const [name, value] of rows(measuresOf(response))) body.append(element('tr', {}, element('th', { scope: 'row' }, name), element('td', {}, value)));
  table.append(body);
  container.append(table);
  if (response.simulation?.legend) {
    const legend = element('ul', { class: 'legend' });
    for (const [concern, colour] of Object.entries(response.simulation.legend)) {
      const swatch = element('span', { class: 'swatch' });
      // CSSOM, not a style attribute: the CSP (style-src 'self') allows the one, not the other.
      swatch.style.backgroundColor = colour;
      legend.append(element('li', {}, swatch, `${label(concern)} (${colour})`));
    }
    container.append(legend);
  }
}

/** "deleted at …, record #…, proof ok" (or what failed). */
export function receiptLine(proven, proofError) {
  const receipt = proven.receipt;
  const wipe = receipt.wipeVerified ? 'wipe verified' : 'wipe not verified';
  const proof = proofError ? `proof failed: ${proofError.code}` : `proof ok (log entry #${proven.index} in the checkpoint of ${proven.checkpoint.size} entries)`;
  const line = element('p', { class: proofError ? 'receipt failed' : 'receipt' });
  line.textContent = `Deleted at ${receipt.wipedAt}, record #${receipt.sequence} of ${receipt.origin}, ${receipt.bytesWiped} bytes wiped, ${wipe}, signature ok, ${proof}.`;
  return line;
}

/**
 * The one line a person sees for a failure: code, what happened, what to check
 * (`LetheWebError.line`); any other exception (a bug of the page) by its name only.
 */
export function errorLine(error) {
  return error?.line ?? `client_error: ${error?.name ?? 'an unexpected failure'} in the page; check the browser console`;
}
