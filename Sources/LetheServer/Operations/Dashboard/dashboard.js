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