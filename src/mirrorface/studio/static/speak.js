// Speak: the face says a sentence; its frames are drawn on the audio's clock.
//
// The server sends the audio first, then each frame with its time (k / fps). Playback starts
// once the audio is decoded and a small buffer of frames is in (PRELOAD_S of them), so frames
// that follow keep ahead of the clock; each frame is drawn when the audio reaches its time.
// window.studioMetrics records when everything happened (the tests and the benchmark read it).
import { api, say, socket } from "./common.js";

const PRELOAD_S = 0.2;
const $ = (id) => document.getElementById(id);
let ws = null, audioContext = null, run = null;

export async function initSpeak() {
  const options = await api("/api/speak/options");
  for (const lang of options.languages) $("speak-lang").add(new Option(lang, lang));
  for (const voice of options.voices) $("speak-voice").add(new Option(voice, voice));
  $("speak-form").addEventListener("submit", (event) => { event.preventDefault(); speak(options); });
}

// Say `text` with the face (the Chat view's replies): the same path as pressing Speak.
export async function speakText(text, lang) {
  await send({ text, lang, voice: "" }, performance.now());
}

async function speak(options) {
  const pressed = performance.now();
  audioContext = audioContext || new AudioContext();
  await audioContext.resume();
  $("speak-files").textContent = "";
  const request = { text: $("speak-text").value, lang: $("speak-lang").value, voice: $("speak-voice").value };
  const file = $("speak-audio").files[0];
  if (file) {
    if (file.size > options.max_upload_bytes) {
      return say($("speak-status"), `the file is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${(options.max_upload_bytes / 1e6).toFixed(0)} MB`, true);
    }
    say($("speak-status"), "uploading…");
    try {
      request.upload = (await api("/api/upload", { method: "POST", body: file })).upload;
    } catch (error) {
      return say($("speak-status"), error.message, true);
    }
  }
  await send(request, pressed);
}

async function send(request, pressed) {
  audioContext = audioContext || new AudioContext();
  await audioContext.resume();
  run = newRun(pressed);
  window.studioMetrics = run.metrics;
  say($("speak-status"), "speaking…");
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    ws = socket("/ws/speak");
    ws.onmessage = (event) => receive(event.data);
    ws.onclose = () => {
      ws = null;
      if (run && !run.metrics.finished) { run.metrics.error = "the connection to the studio closed"; run.metrics.finished = true; say($("speak-status"), run.metrics.error, true); }
    };
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error("no connection")); })
      .catch((error) => say($("speak-status"), error.message, true));
  }
  ws.send(JSON.stringify(request));
}

function newRun(pressed) {
  return {
    frames: [], audio: null, total: null, fps: 30, startedAt: null, shown: -1,
    metrics: { pressed, audio_received_ms: null, audio_started_ms: null, first_frame_received_ms: null,
               first_frame_shown_ms: null, received: [], late: 0, finished: false, error: null, files: null },
  };
}

const since = (t) => performance.now() - t;

async function receive(data) {
  const r = run, m = r.metrics;
  if (typeof data === "string") {
    const message = JSON.parse(data);
    if (message.type === "start") { r.total = message.frames; r.fps = message.fps; m.frames = message.frames; m.duration_s = message.duration_s; }
    if (message.type === "error") { m.error = message.message; m.finished = true; say($("speak-status"), message.message, true); }
    if (message.type === "done") { m.files = message.files; showFiles(message.files); }
    return;
  }
  const kind = new Uint8Array(data, 0, 1)[0];
  if (kind === 65) {  // "A": the WAV
    m.audio_received_ms = since(m.pressed);
    r.audio = await audioContext.decodeAudioData(data.slice(1));
  } else if (kind === 70) {  // "F": index, time, JPEG of target | robot
    const view = new DataView(data);
    const index = view.getUint32(4, true), time = view.getFloat64(8, true);
    const arrived = since(m.pressed);
    if (m.first_frame_received_ms === null) m.first_frame_received_ms = arrived;
    const due = r.startedAt === null ? null : r.startedAt - m.pressed + time * 1000;
    if (due !== null && arrived > due) m.late += 1;
    m.received.push({ index, time, arrived_ms: arrived, due_ms: due });
    r.frames[index] = { time, picture: await createImageBitmap(new Blob([data.slice(16)], { type: "image/jpeg" })) };
  }
  maybeStart(r);
}

function maybeStart(r) {
  if (r.startedAt !== null || !r.audio || r.total === null) return;
  const ready = r.frames.filter(Boolean).length;
  if (ready < Math.min(r.total, Math.ceil(PRELOAD_S * r.fps))) return;
  const source = audioContext.createBufferSource();
  source.buffer = r.audio;
  source.connect(audioContext.destination);
  r.clock0 = audioContext.currentTime;
  source.start(r.clock0);
  r.startedAt = performance.now();
  r.metrics.audio_started_ms = r.startedAt - r.metrics.pressed;
  source.onended = () => { r.audioEnded = true; };
  requestAnimationFrame(() => draw(r));
}

function draw(r) {
  if (r !== run) return;  // a newer sentence took over
  const now = audioContext.currentTime - r.clock0;
  let k = r.shown;
  while (k + 1 < r.frames.length && r.frames[k + 1] && r.frames[k + 1].time <= now) k += 1;
  if (k !== r.shown && r.frames[k]) {
    const picture = r.frames[k].picture, half = picture.width / 2;
    $("speak-target").getContext("2d").drawImage(picture, 0, 0, half, picture.height, 0, 0, 256, 256);
    $("speak-robot").getContext("2d").drawImage(picture, half, 0, half, picture.height, 0, 0, 256, 256);
    if (r.shown < 0) r.metrics.first_frame_shown_ms = since(r.metrics.pressed);
    r.shown = k;
  }
  $("speak-clock").textContent = `audio ${Math.max(0, now).toFixed(2)} s · frame ${r.shown + 1}/${r.total} · late frames ${r.metrics.late}`;
  if (r.shown + 1 >= r.total && r.audioEnded) {
    r.metrics.finished = true;
    if (!r.metrics.error) say($("speak-status"), `spoke ${r.total} frames; first frame ${r.metrics.first_frame_shown_ms.toFixed(0)} ms after pressing Speak`);
    return;
  }
  requestAnimationFrame(() => draw(r));
}

function showFiles(files) {
  const names = { audio: "audio (WAV)", video: "video (MP4)", trajectory: "command trajectory (CSV)", cues: "Rhubarb cues (JSON)" };
  const box = $("speak-files");
  box.textContent = "Download: ";
  for (const [kind, url] of Object.entries(files)) {
    const link = document.createElement("a");
    link.href = url; link.textContent = names[kind] || kind; link.download = ""; link.dataset.kind = kind;
    box.append(link, " ");
  }
}
