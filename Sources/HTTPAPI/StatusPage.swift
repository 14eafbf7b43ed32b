/// The page `GET /` serves: one self-contained document (no external assets, nothing to build), so that it works
/// on a host without internet access and from an installed binary that has no resource files beside it.
///
/// It only reads the public API: `/health` and `/devices` every few seconds, each device's `/stats` once a second
/// for rates and the chart. When the daemon wants a token, the page asks for it once and keeps it for the browser
/// tab (sessionStorage), sending it as a bearer token like any other client.
enum StatusPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ublkd</title>
<style>
  :root { --bg:#f6f7f9; --fg:#1d232b; --muted:#5d6875; --line:#d9dee4; --ok:#1f7a3d; --warn:#a35f00; --bad:#b3261e;
          --read:#2463c7; --write:#c7572a; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; flex-wrap:wrap; gap:1.5rem; align-items:baseline; padding:.8rem 1.2rem; background:#fff;
           border-bottom:1px solid var(--line); }
  header h1 { font-size:1.2rem; margin:0; }
  .muted { color:var(--muted); }
  main { padding:1rem 1.2rem; }
  table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
  th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:middle;
           white-space:nowrap; }
  th { font-weight:600; font-size:.8rem; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
  td.num { text-align:right; font-variant-numeric:tabular-nums; }
  span.state { display:inline-block; padding:.05rem .5rem; border-radius:1rem; font-size:.8rem; font-weight:600;
           background:#e8ebef; }
  span.state.live, span.state.ok { background:#dcf1e3; color:var(--ok); }
  span.state.quiesced, span.state.recovering, span.state.creating, span.state.degraded { background:#fdf0d5; color:var(--warn); }
  span.state.failed, span.state.stopped { background:#fbe0de; color:var(--bad); }
  canvas { display:block; }
  #message { margin:0 0 1rem; padding:.6rem .8rem; border-radius:.3rem; background:#fbe0de; color:var(--bad); }
  #login { margin:0 0 1rem; padding:.8rem; background:#fff; border:1px solid var(--line); }
  #login input { width:24rem; max-width:100%; font:inherit; padding:.3rem; }
  .legend span { margin-right:1rem; }
  .legend .r { color:var(--read); } .legend .w { color:var(--write); }
  [hidden] { display:none !important; }
</style>
</head>
<body>
<header>
  <h1>ublkd</h1>
  <span>status <span id="health-status" class="state">…</span></span>
  <span class="muted">version <span id="health-version">…</span></span>
  <span class="muted">kernel <span id="health-kernel">…</span></span>
  <span class="muted" id="health-devices"></span>
  <span class="muted" id="health-start"></span>
</header>
<main>
  <p id="message" hidden></p>
  <form id="login" hidden>
    <label>This ublkd wants its API token: <input id="token" type="password" autocomplete="off"></label>
    <button type="submit">Use token</button>
    <span class="muted">(kept in this tab only)</span>
  </form>
  <p class="legend muted">Rates over the last second; chart: the last two minutes of
    <span class="r">■ read</span><span class="w">■ write</span> IOPS.</p>
  <table id="devices">
    <thead><tr>
      <th>id</th><th>name</th><th>state</th><th>target</th><th>size</th><th>block device</th><th>io mode</th>
      <th>read IOPS</th><th>write IOPS</th><th>read MiB/s</th><th>write MiB/s</th><th>I/Os</th><th>errors</th>
      <th>I/O, last 2 min</th><th>last recovery</th>
    </tr></thead>
    <tbody></tbody>
  </table>
  <p id="empty" class="muted" hidden>No devices yet. Create one: <code>curl -X POST localhost:7878/devices
    -d '{"name":"demo","target":"null","size":"1GiB"}'</code></p>
</main>
<script>
"use strict";
const HISTORY = 120;
const devices = new Map();   // id -> { view, row, cells, samples: [{t, reads, writes, rb, wb}], rates: [] }
let token = sessionStorage.getItem("ublkd-token") || "";

function $(id) { return document.getElementById(id); }

async function api(path) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const response = await fetch(path, { headers, cache: "no-store" });
  if (response.status === 401) {
    $("login").hidden = false;
    throw new Error("the API wants a token");
  }
  if (!response.ok) {
    let text = response.status + " " + response.statusText;
    try { const body = await response.json(); text = body.error.code + ": " + body.error.message; } catch (_) {}
    throw new Error(path + ": " + text);
  }
  return response.json();
}

function showError(error) {
  const message = $("message");
  if (error) { message.textContent = String(error.message || error); message.hidden = false; }
  else { message.hidden = true; }
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (Number.isInteger(n) ? n : n.toFixed(1)) + " " + units[i];
}
function rate(n) { return n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(1); }
function ago(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 90) return Math.round(seconds) + " s ago";
  if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
  if (seconds < 172800) return Math.round(seconds / 3600) + " h ago";
  return Math.round(seconds / 86400) + " d ago";
}
function setState(element, state) {
  element.textContent = state;
  element.className = "state " + state;
}

function makeRow(id) {
  const row = document.createElement("tr");
  row.dataset.id = id;
  const names = ["id", "name", "state", "target", "size", "block", "mode", "riops", "wiops", "rbw", "wbw", "ios",
                 "errors", "chart", "recovery"];
  const numeric = new Set(["id", "riops", "wiops", "rbw", "wbw", "ios", "errors"]);
  const cells = {};
  for (const name of names) {
    const cell = document.createElement("td");
    cell.className = name + (numeric.has(name) ? " num" : "");
    row.appendChild(cell);
    cells[name] = cell;
  }
  const badge = document.createElement("span");
  cells.state.appendChild(badge);
  cells.badge = badge;
  const canvas = document.createElement("canvas");
  canvas.width = 180; canvas.height = 32;
  cells.chart.appendChild(canvas);
  cells.canvas = canvas;
  return { row, cells, samples: [], rates: [] };
}

function renderDevice(entry) {
  const view = entry.view, c = entry.cells;
  c.id.textContent = view.id;
  c.name.textContent = view.name;
  setState(c.badge, view.state);
  if (view.error) c.badge.title = view.error; else c.badge.removeAttribute("title");
  c.target.textContent = view.target + (view.path ? " " + view.path : "");
  c.size.textContent = bytes(view.size);
  c.block.textContent = view.block_device || "–";
  c.mode.textContent = view.io_mode;
  const last = view.last_recovery;
  c.recovery.textContent = last ? last.kind + ", " + last.outcome + ", " + ago(last.finished_at || last.started_at)
    + (last.duration_ms != null ? " (" + last.duration_ms + " ms)" : "") : "never";
  if (last && last.error) c.recovery.title = last.error;
}

function renderRates(entry) {
  const c = entry.cells, s = entry.samples;
  const newest = s[s.length - 1];
  if (newest) {
    c.ios.textContent = (newest.reads + newest.writes).toLocaleString("en");
    c.ios.dataset.value = newest.reads + newest.writes;
    c.errors.textContent = newest.errors.toLocaleString("en");
  }
  const r = entry.rates[entry.rates.length - 1];
  c.riops.textContent = r ? rate(r.riops) : "–";
  c.wiops.textContent = r ? rate(r.wiops) : "–";
  c.rbw.textContent = r ? rate(r.rbw / 1048576) : "–";
  c.wbw.textContent = r ? rate(r.wbw / 1048576) : "–";
  drawChart(c.canvas, entry.rates);
}

function drawChart(canvas, rates) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  g.fillStyle = "#f0f2f5"; g.fillRect(0, 0, w, h);
  if (rates.length < 2) return;
  const top = Math.max(1, ...rates.map(r => Math.max(r.riops, r.wiops)));
  const step = w / (HISTORY - 1);
  for (const [key, color] of [["riops", "#2463c7"], ["wiops", "#c7572a"]]) {
    g.beginPath();
    rates.forEach((r, i) => {
      const x = w - (rates.length - 1 - i) * step, y = h - 1 - (r[key] / top) * (h - 3);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.strokeStyle = color; g.lineWidth = 1.5; g.stroke();
  }
}

async function pollDevices() {
  const list = await api("/devices");
  const seen = new Set();
  const tbody = document.querySelector("#devices tbody");
  for (const view of list.devices) {
    seen.add(view.id);
    let entry = devices.get(view.id);
    if (!entry) { entry = makeRow(view.id); devices.set(view.id, entry); }
    entry.view = view;
    renderDevice(entry);
  }
  for (const [id, entry] of devices) {
    if (!seen.has(id)) { entry.row.remove(); devices.delete(id); }
  }
  // Keep rows in id order; appendChild moves a row that is already there.
  [...devices.keys()].sort((a, b) => a - b).forEach(id => tbody.appendChild(devices.get(id).row));
  $("empty").hidden = devices.size > 0;
}

async function pollHealth() {
  const health = await api("/health");
  setState($("health-status"), health.status);
  $("health-version").textContent = health.version;
  $("health-kernel").textContent = (health.kernel.release || "?") + (health.kernel.available ? "" : " (no ublk driver)");
  const counts = Object.entries(health.devices).map(([state, n]) => n + " " + state).join(", ");
  $("health-devices").textContent = "devices: " + (counts || "none")
    + (health.unmanaged_devices && health.unmanaged_devices.length ? "; unmanaged in the kernel: "
       + health.unmanaged_devices.join(", ") : "");
  const start = health.last_start;
  $("health-start").textContent = start ? "last start " + ago(start.started_at) + ": " + start.recovered
    + " recovered, " + start.recreated + " recreated, " + start.failed + " failed in " + start.duration_ms + " ms" : "";
}

async function pollStats() {
  await Promise.all([...devices.values()].map(async entry => {
    let stats;
    try { stats = await api("/devices/" + entry.view.id + "/stats"); } catch (_) { return; }
    const sample = { t: performance.now(), reads: stats.reads, writes: stats.writes, rb: stats.read_bytes,
                     wb: stats.write_bytes, errors: stats.errors };
    const previous = entry.samples[entry.samples.length - 1];
    entry.samples.push(sample);
    if (entry.samples.length > 2) entry.samples.shift();
    // A counter that went down means the queues restarted (stop/start, recovery): start the rates afresh.
    if (previous && sample.reads >= previous.reads && sample.writes >= previous.writes) {
      const seconds = Math.max(0.001, (sample.t - previous.t) / 1000);
      entry.rates.push({ riops: (sample.reads - previous.reads) / seconds,
                         wiops: (sample.writes - previous.writes) / seconds,
                         rbw: (sample.rb - previous.rb) / seconds, wbw: (sample.wb - previous.wb) / seconds });
      if (entry.rates.length > HISTORY) entry.rates.shift();
    }
    renderRates(entry);
  }));
}

function every(ms, task) {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try { await task(); showError(null); } catch (error) { showError(error); } finally { running = false; }
  };
  run();
  setInterval(run, ms);
}

$("login").addEventListener("submit", event => {
  event.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("ublkd-token", token);
  $("login").hidden = true;
});

every(5000, pollHealth);
every(2000, pollDevices);
every(1000, pollStats);
</script>
</body>
</html>
"""#
}
