// Data and models: browse babbling datasets, start a babbling run, see the checkpoints.
import { api, say, withToken } from "./common.js";

const $ = (id) => document.getElementById(id);
const COLOURS = ["#6cb4ff", "#ffb36c", "#8be08b", "#ff7b9c", "#c49bff", "#ffe07a", "#7ae0e0", "#e0a07a", "#a0a0ff", "#ff9f7a", "#9fff7a"];

export async function initData() {
  $("data-refresh").addEventListener("click", refresh);
  $("data-list").addEventListener("change", () => open($("data-list").value));
  $("data-scrub").addEventListener("input", showFrame);
  $("babble-form").addEventListener("submit", (event) => { event.preventDefault(); babble(); });
  await Promise.all([refresh(), models()]);
}

async function refresh() {
  const rows = await api("/api/datasets");
  const list = $("data-list");
  list.textContent = "";
  for (const row of rows) list.add(new Option(row.error ? `${row.name} (${row.error})` : `${row.name}: ${row.frames} frames, ${row.face}`, row.name));
  window.studioDatasets = rows;
  if (rows.length) await open(rows[0].name);
  else $("data-info").textContent = "no datasets yet: start a babbling run below";
}

async function open(name) {
  const row = window.studioDatasets.find((r) => r.name === name);
  if (!row || row.error) return;
  $("data-info").textContent = `${row.name}: ${row.frames} frames in ${row.episodes} episodes at ${row.fps} fps, face ${row.face}, sampler ${row.sampler}`;
  $("data-sheet").src = withToken("/api/datasets/sheet?name=" + encodeURIComponent(name));
  $("data-scrub").max = row.frames - 1; $("data-scrub").value = 0;
  showFrame();
  plot(await api("/api/datasets/series?name=" + encodeURIComponent(name)), row.actuators);
}

function showFrame() {
  const name = $("data-list").value, index = $("data-scrub").value;
  $("data-index").textContent = `frame ${index}`;
  $("data-frame").src = withToken(`/api/datasets/frame?name=${encodeURIComponent(name)}&index=${index}`);
}

// Commands (0..1) over time, one line per actuator; the mouth opening from the landmarks below, dashed.
function plot(series, names) {
  const canvas = $("data-plot"), g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 24;
  g.fillStyle = "#1c1c20"; g.fillRect(0, 0, w, h);
  const t = series.time_s, n = t.length, x = (i) => pad + (w - 2 * pad) * i / Math.max(1, n - 1);
  const y = (v) => h - pad - (h - 2 * pad) * v;
  const columns = series.commands[0] ? series.commands[0].length : 0;
  for (let c = 0; c < columns; c++) {
    g.strokeStyle = COLOURS[c % COLOURS.length]; g.lineWidth = 1; g.beginPath();
    series.commands.forEach((row, i) => (i ? g.lineTo(x(i), y(row[c])) : g.moveTo(x(i), y(row[c]))));
    g.stroke();
  }
  if (series.mouth_opening) {
    const values = series.mouth_opening.filter((v) => v !== null), top = Math.max(1e-6, ...values);
    g.strokeStyle = "#ffffff"; g.setLineDash([4, 3]); g.beginPath();
    series.mouth_opening.forEach((v, i) => { if (v !== null) g.lineTo(x(i), y(v / top)); });
    g.stroke(); g.setLineDash([]);
  }
  g.fillStyle = "#9a9aa8"; g.font = "11px sans-serif";
  g.fillText(`commands (${names ? names.length : columns} actuators) and mouth opening (dashed) over ${t[n - 1] || 0} s`, pad, 14);
}

async function babble() {
  const body = { face: $("babble-face").value, frames: Number($("babble-frames").value), name: $("babble-name").value };
  let job;
  try {
    job = (await api("/api/babble", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).job;
  } catch (error) {
    return say($("babble-status"), error.message, true);
  }
  say($("babble-status"), "babbling…");
  const poll = async () => {
    const p = await api("/api/babble/" + job);
    $("babble-progress").max = p.total; $("babble-progress").value = p.frames;
    window.babbleProgress = p;
    if (p.error) return say($("babble-status"), p.error, true);
    if (p.running) return setTimeout(poll, 500);
    say($("babble-status"), `done: ${p.frames} frames in ${p.dataset}`);
    await refresh();
  };
  poll();
}

// A checkpoint's figure: numbers to 4 significant places, lists and tables compactly.
function figure(value) {
  if (typeof value === "number") return String(+value.toPrecision(4));
  if (Array.isArray(value)) return "[" + value.map(figure).join(", ") + "]";
  if (value && typeof value === "object") return "{" + Object.entries(value).map(([k, v]) => `${k}: ${figure(v)}`).join(", ") + "}";
  return String(value);
}

async function models() {
  const rows = await api("/api/models");
  const table = document.createElement("table");
  table.innerHTML = "<tr><th>checkpoint</th><th>loaded</th><th>figures</th></tr>";
  for (const row of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = row.name;
    tr.insertCell().textContent = row.loaded ? "yes" : "";
    tr.insertCell().textContent = Object.entries(row.figures).map(([k, v]) => `${k} ${figure(v)}`).join(" · ");
  }
  $("models").textContent = "";
  $("models").append(table);
}
