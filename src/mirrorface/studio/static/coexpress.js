// Coexpress: the webcam's frames go to the server, which runs the coexpression loop and answers
// each with one tick: the person's landmarks, the loop's state, the predicted expression at a
// peak activation, and the robot's face. One frame in flight at a time, at most RATE_HZ a second.
// window.coexpressMetrics counts ticks and round trips (the tests and the benchmark read it).
import { drawLandmarks, say, socket } from "./common.js";

const RATE_HZ = 25;
const $ = (id) => document.getElementById(id);
let ws = null, stream = null, predicted = null;

export async function initCoexpress() {
  $("co-start").addEventListener("click", start);
  $("co-stop").addEventListener("click", stop);
}

async function start() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
  } catch (error) {
    return say($("co-status"), "no camera: " + error.message, true);
  }
  const video = $("co-video");
  video.srcObject = stream;
  await video.play();
  const metrics = { ticks: 0, faces: 0, activations: [], rtt_ms: [], started: performance.now(), missed: 0, error: null };
  window.coexpressMetrics = metrics;
  $("co-events").textContent = "";
  predicted = null;
  const grab = document.createElement("canvas");  // the camera's own size: MediaPipe wants true proportions
  grab.width = video.videoWidth || 320; grab.height = video.videoHeight || 240;
  let sentAt = 0;
  const send = () => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    grab.getContext("2d").drawImage(video, 0, 0, grab.width, grab.height);
    grab.toBlob(async (blob) => {
      sentAt = performance.now();
      ws.send(await blob.arrayBuffer());
    }, "image/jpeg", 0.8);
  };
  ws = socket("/ws/coexpress?mode=" + $("co-mode").value);
  ws.onopen = () => { say($("co-status"), "running"); send(); };
  ws.onclose = () => { $("co-start").disabled = false; $("co-stop").disabled = true; };
  ws.onmessage = async (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      metrics.error = message.message;
      return say($("co-status"), message.message, true);
    }
    const rtt = performance.now() - sentAt;
    const length = new DataView(event.data).getUint32(0, true);
    const tick = JSON.parse(new TextDecoder().decode(new Uint8Array(event.data, 4, length)));
    const robot = await createImageBitmap(new Blob([event.data.slice(4 + length)], { type: "image/jpeg" }));
    show(tick, robot, metrics, rtt);
    setTimeout(send, Math.max(0, 1000 / RATE_HZ - (performance.now() - sentAt)));
  };
  $("co-start").disabled = true; $("co-stop").disabled = false;
}

function show(tick, robot, metrics, rtt) {
  metrics.ticks += 1;
  metrics.rtt_ms.push(rtt);
  if (tick.landmarks) metrics.faces += 1;
  if (tick.missed) metrics.missed += 1;
  if (tick.predicted) predicted = tick.predicted;
  if (tick.state !== "active") predicted = null;
  drawLandmarks($("co-person"), tick.landmarks, "#78c8ff");
  drawLandmarks($("co-person"), predicted, "#ffffff", false);
  $("co-robot").getContext("2d").drawImage(robot, 0, 0, 256, 256);
  if (tick.activation !== null) {
    metrics.activations.push(tick.activation);
    const item = document.createElement("li");
    item.textContent = `t = ${tick.activation.toFixed(2)} s: peak activation, the face answers with the predicted expression`;
    $("co-events").prepend(item);
  }
  const seconds = (performance.now() - metrics.started) / 1000;
  $("co-stats").textContent = `state ${tick.state} · ${metrics.ticks} ticks, ${(metrics.ticks / seconds).toFixed(1)} Hz · ` +
    `round trip ${rtt.toFixed(0)} ms · loop work ${tick.work_ms.toFixed(1)} ms · face found in ${metrics.faces}/${metrics.ticks}`;
}

function stop() {
  if (ws) ws.close();
  if (stream) for (const track of stream.getTracks()) track.stop();
  say($("co-status"), "stopped");
}
