import Foundation

/// The live operator dashboard served at `/dashboard` on the admin listener: a page, its stylesheet
/// (`/dashboard.css`) and its script (`/dashboard.js`), nothing from elsewhere, that reads
/// `/metrics` and `/readyz` every few seconds and shows throughput, latency percentiles, load,
/// errors, wipes and ledger growth. Script and style are separate same-origin resources so that
/// the Content-Security-Policy needs no `'unsafe-inline'`: markup injected into the page could
/// not run script or restyle it, and `frame-ancestors 'none'` keeps it out of other sites' frames.
/// It computes everything from the same exposition Prometheus scrapes, so the two cannot disagree.
/// With an admin token, open it as `/dashboard#token=TOKEN` (the fragment never leaves the browser).
enum DashboardPage {
    /// Seconds between refreshes.
    static let refreshSeconds = 2

    /// CSP 3 for the page: same-origin script, style and fetches only; no inline code, no
    /// plugins, no `<base>`, no forms, never framed (`frame-ancestors`, CSP 3 §6.4.2).
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// `/dashboard`: the markup, with no inline script, style element or style attribute.
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lethe worker</title>
<link rel="stylesheet" href="dashboard.css">
</head>
<body>
<header>
  <h1>Lethe worker</h1>
  <span id="readiness" class="status">connecting…</span>
  <span id="hardening" class="unit"></span>
</header>

<h2>Traffic</h2>
<div class="grid">
  <div class="tile"><div class="label">Throughput</div><div class="value" id="throughput">–</div><div class="unit">requests/s, last refresh</div></div>
  <div class="tile"><div class="label">Requests answered</div><div class="value" id="requests-total">–</div><div class="unit">since start</div></div>
  <div class="tile"><div class="label">Errors</div><div class="value" id="errors-total">–</div><div class="unit">since start</div></div>
  <div class="tile"><div class="label">Refused before decryption</div><div class="value" id="refusals-total">–</div><div class="unit">overload, size, media type</div></div>
  <div class="tile"><div class="label">In flight</div><div class="value" id="in-flight">–</div><div class="unit">requests</div></div>
  <div class="tile"><div class="label">Queued</div><div class="value" id="queued">–</div><div class="unit">requests</div></div>
</div>
<div class="unit chart-label">throughput, last two minutes</div>
<svg id="throughput-chart" viewBox="0 0 600 60" preserveAspectRatio="none" aria-label="throughput over the last two minutes"><polyline points=""/></svg>

<h2>Latency (arrival to answer, since start)</h2>
<div class="grid">
  <div class="tile"><div class="label">p50</div><div class="value" id="latency-p50">–</div><div class="unit">ms</div></div>
  <div class="tile"><div class="label">p95</div><div class="value" id="latency-p95">–</div><div class="unit">ms</div></div>
  <div class="tile"><div class="label">p99</div><div class="value" id="latency-p99">–</div><div class="unit">ms</div></div>
  <div class="tile"><div class="label">Plaintext lifetime, mean</div><div class="value" id="plaintext-lifetime">–</div><div class="unit">ms, decryption to wipe</div></div>
</div>

<h2>Forgetting</h2>
<div class="grid">
  <div class="tile"><div class="label">Buffers wiped</div><div class="value" id="wipes-total">–</div><div class="unit">zeroed and read back</div></div>
  <div class="tile"><div class="label">Wipe verify failures</div><div class="value" id="wipe-failures">–</div><div class="unit">must stay 0</div></div>
  <div class="tile"><div class="label">Plaintext held now</div><div class="value" id="plaintext-bytes">–</div><div class="unit">MiB</div></div>
  <div class="tile"><div class="label">Ledger entries</div><div class="value" id="ledger-entries">–</div><div class="unit" id="ledger-growth">entries/min</div></div>
  <div class="tile"><div class="label">Checkpoint age</div><div class="value" id="checkpoint-age">–</div><div class="unit">s, 0 = all covered</div></div>
</div>

<h2>Process</h2>
<div class="grid">
  <div class="tile"><div class="label">Resident memory</div><div class="value" id="resident-memory">–</div><div class="unit">MiB</div></div>
  <div class="tile"><div class="label">Reserved by requests</div><div class="value" id="memory-reserved">–</div><div class="unit" id="memory-budget">MiB of budget</div></div>
  <div class="tile"><div class="label">CPU</div><div class="value" id="cpu">–</div><div class="unit">cores, last refresh</div></div>
</div>

<h2>Errors by code</h2>
<table><thead><tr><th>code</th><th>requests</th></tr></thead><tbody id="errors-by-code"><tr><td colspan="2">none</td></tr></tbody></table>

<footer>Refreshes every <span id="refresh-seconds"></span> s from <code>/metrics</code>. Updated <span id="updated" data-value="0">never</span>.</footer>

<script src="dashboard.js"></script>
</body>
</html>
"""#

    /// `/dashboard.css`: what the page's `<style>` element held.
    static let stylesheet = #"""
  :root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #6e7781; }
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; background: Canvas; color: CanvasText; }
  header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
  h1 { font-size: 1.4rem; margin: 0; }
  h2 { font-size: 1rem; margin: 1.4rem 0 .5rem; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
  .status { font-weight: 600; }
  .ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; }
  .tile { border: 1px solid color-mix(in srgb, CanvasText 15%, transparent); border-radius: .5rem; padding: .6rem .8rem; }
  .tile .label { font-size: .8rem; color: var(--muted); }
  .tile .value { font-size: 1.6rem; font-variant-numeric: tabular-nums; }
  .tile .unit { font-size: .8rem; color: var(--muted); }
  table { border-collapse: collapse; min-width: 22rem; }
  td, th { text-align: left; padding: .2rem .8rem .2rem 0; font-variant-numeric: tabular-nums; }
  th { color: var(--muted); font-weight: normal; font-size: .8rem; }
  svg { width: 100%; max-width: 48rem; height: 4rem; }
  polyline { fill: none; stroke: #0969da; stroke-width: 2; }
  footer { margin-top: 1.5rem; font-size: .8rem; color: var(--muted); }
  .chart-label { margin-top: .8rem; }
"""#

    /// `/dashboard.js`: what the page's inline `<script>` held, loaded as a same-origin file.
    static let script = #"""
"use strict";
const REFRESH_SECONDS = __REFRESH_SECONDS__;
const token = new URLSearchParams(location.hash.slice(1)).get("token");
const headers = token ? { Authorization: "Bearer " + token } : {};
const history = [];
let previous = null;
let refreshes = 0;
document.getElementById("refresh-seconds").textContent = REFRESH_SECONDS;

// Prometheus text exposition: [{name, labels, value}].
function parse(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const label of (match[2] || "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]] = label[2];
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}
function sum(samples, name, filter) {
  return samples.filter(s => s.name === name && (!filter || filter(s.labels))).reduce((total, s) => total + s.value, 0);
}
// The same estimate as PromQL's histogram_quantile: linear within the bucket holding the rank.
function quantile(samples, name, q) {
  const buckets = samples.filter(s => s.name === name + "_bucket")
    .map(s => ({ le: s.labels.le === "+Inf" ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
  if (buckets.length === 0) return NaN;
  const total = buckets[buckets.length - 1].count;
  if (total === 0) return NaN;
  const rank = q * total;
  let lowerBound = 0, lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lowerBound;
      if (bucket.count === lowerCount) return bucket.le;
      return lowerBound + (bucket.le - lowerBound) * (rank - lowerCount) / (bucket.count - lowerCount);
    }
    lowerBound = bucket.le; lowerCount = bucket.count;
  }
  return lowerBound;
}
function show(id, value, digits) {
  const element = document.getElementById(id);
  element.dataset.value = String(value);
  element.textContent = Number.isFinite(value) ? value.toLocaleString("en", { maximumFractionDigits: digits ?? 0, minimumFractionDigits: digits ?? 0 }) : "–";
}
function mebibytes(bytes) { return bytes / 1048576; }

async function refresh() {
  try {
    const response = await fetch("metrics", { headers, cache: "no-store" });
    if (response.status === 401) { document.getElementById("readiness").textContent = "open as /dashboard#token=ADMIN_TOKEN"; return; }
    const samples = parse(await response.text());
    const now = performance.now() / 1000;
    const requests = sum(samples, "lethe_requests_total");
    const refusals = sum(samples, "lethe_refusals_total");
    const answered = requests + refusals;
    const cpu = sum(samples, "lethe_process_cpu_seconds");
    const entries = sum(samples, "lethe_ledger_entries");
    const throughput = previous ? Math.max(0, answered - previous.answered) / (now - previous.time) : NaN;
    show("throughput", throughput, 2);
    show("requests-total", answered);
    show("errors-total", sum(samples, "lethe_requests_total", l => l.outcome === "error") + refusals);
    show("refusals-total", refusals);
    show("in-flight", sum(samples, "lethe_requests_in_flight"));
    show("queued", sum(samples, "lethe_requests_queued"));
    for (const [id, q] of [["latency-p50", 0.5], ["latency-p95", 0.95], ["latency-p99", 0.99]]) {
      show(id, quantile(samples, "lethe_request_duration_seconds", q) * 1000, 1);
    }
    const lifetimeCount = sum(samples, "lethe_plaintext_lifetime_seconds_count");
    show("plaintext-lifetime", lifetimeCount > 0 ? sum(samples, "lethe_plaintext_lifetime_seconds_sum") / lifetimeCount * 1000 : NaN, 1);
    show("wipes-total", sum(samples, "lethe_wipes_total"));
    const failures = sum(samples, "lethe_wipe_verify_failures_total");
    show("wipe-failures", failures);
    document.getElementById("wipe-failures").className = "value " + (failures > 0 ? "bad" : "ok");
    show("plaintext-bytes", mebibytes(sum(samples, "lethe_plaintext_bytes")), 1);
    show("ledger-entries", entries);
    history.push({ time: now, answered, entries });
    while (history.length > 60) history.shift();
    const oldest = history[0];
    const growth = now > oldest.time ? (entries - oldest.entries) / (now - oldest.time) * 60 : 0;
    document.getElementById("ledger-growth").textContent = growth.toFixed(1) + " entries/min";
    show("checkpoint-age", sum(samples, "lethe_checkpoint_age_seconds"), 0);
    show("resident-memory", mebibytes(sum(samples, "lethe_process_resident_memory_bytes")), 1);
    show("memory-reserved", mebibytes(sum(samples, "lethe_memory_reserved_bytes")), 1);
    const budget = sum(samples, "lethe_memory_budget_bytes");
    document.getElementById("memory-budget").textContent = budget > 0 ? "MiB of " + mebibytes(budget).toFixed(0) + " MiB" : "MiB, no budget set";
    show("cpu", previous ? (cpu - previous.cpu) / (now - previous.time) : NaN, 2);

    const byCode = new Map();
    for (const s of samples) {
      const code = s.name === "lethe_requests_total" && s.labels.outcome === "error" ? s.labels.code
        : s.name === "lethe_refusals_total" ? s.labels.reason : null;
      if (code && s.value > 0) byCode.set(code, (byCode.get(code) || 0) + s.value);
    }
    const rows = [...byCode.entries()].sort((a, b) => b[1] - a[1])
      .map(([code, count]) => `<tr><td><code>${code.replace(/[<>&]/g, "")}</code></td><td data-code="${code.replace(/[<>&"]/g, "")}" data-value="${count}">${count}</td></tr>`);
    document.getElementById("errors-by-code").innerHTML = rows.length ? rows.join("") : '<tr><td colspan="2">none</td></tr>';

    const peak = Math.max(1, ...history.map((h, i) => i === 0 ? 0 : (h.answered - history[i - 1].answered) / (h.time - history[i - 1].time)));
    const points = history.slice(1).map((h, i) => {
      const rate = (h.answered - history[i].answered) / (h.time - history[i].time);
      return `${(i / 59 * 600).toFixed(1)},${(58 - rate / peak * 56).toFixed(1)}`;
    });
    document.querySelector("#throughput-chart polyline").setAttribute("points", points.join(" "));

    const ready = await fetch("readyz", { cache: "no-store" });
    const readiness = await ready.json();
    const status = document.getElementById("readiness");
    status.textContent = readiness.ready ? "ready" : readiness.draining ? "draining" : "not ready";
    status.className = "status " + (readiness.ready ? "ok" : "bad");
    document.getElementById("hardening").textContent = "hardening: " + readiness.hardening_summary;

    previous = { time: now, answered, cpu };
    refreshes += 1;
    const updated = document.getElementById("updated");
    updated.dataset.value = String(refreshes);
    updated.textContent = new Date().toLocaleTimeString("en-GB");
  } catch (error) {
    const status = document.getElementById("readiness");
    status.textContent = "unreachable";
    status.className = "status bad";
  }
}
refresh();
setInterval(refresh, REFRESH_SECONDS * 1000);
"""#.replacingOccurrences(of: "__REFRESH_SECONDS__", with: String(refreshSeconds))
}
