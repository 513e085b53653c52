// The perceptual study: participant mode (three clips per trial, choose one) and the analysis.
import { api, say, withToken } from "./common.js";

const $ = (id) => document.getElementById(id);
let state = null;

export async function initStudy() {
  $("study-start").addEventListener("click", begin);
}

async function begin() {
  const participant = $("study-participant").value.trim();
  if (!participant) return say($("study-status"), "enter a participant code", true);
  try {
    const session = await api("/api/study/session?participant=" + encodeURIComponent(participant));
    const answered = new Set(session.answered);
    state = { participant, trials: session.trials.filter((t) => !answered.has(t.trial)), total: session.trials.length, done: session.answered.length };
  } catch (error) {
    return say($("study-status"), error.message, true);
  }
  $("study-intro").hidden = true;
  next();
}

function next() {
  const trial = state.trials.shift();
  if (!trial) {
    $("study-trial").hidden = true;
    return say($("study-status"), "Thank you: every answer is saved.");
  }
  say($("study-status"), "");
  $("study-trial").hidden = false;
  $("study-progress").textContent = `trial ${state.done + 1} of ${state.total}`;
  const box = $("study-videos");
  box.textContent = "";
  trial.clips.forEach((url, i) => {
    const label = "ABC"[i];
    const figure = document.createElement("figure");
    const video = document.createElement("video");
    video.src = withToken(url); video.controls = true; video.preload = "auto"; video.dataset.position = label;
    const choose = document.createElement("button");
    choose.textContent = "Most natural: " + label; choose.dataset.position = label; choose.className = "choose";
    choose.addEventListener("click", () => answer(trial, label));
    const caption = document.createElement("figcaption");
    caption.append(label + " ", choose);
    figure.append(video, caption);
    box.append(figure);
  });
}

async function answer(trial, position) {
  for (const button of document.querySelectorAll("#study-videos button")) button.disabled = true;
  try {
    await api("/api/study/answer", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ participant: state.participant, trial: trial.trial, position }) });
  } catch (error) {
    return say($("study-status"), error.message, true);
  }
  state.done += 1;
  next();
}

export async function initAnalysis() {
  $("analysis-refresh").addEventListener("click", refresh);
  $("analysis-csv").href = withToken("/api/study/answers.csv");
  await refresh();
}

async function refresh() {
  try {
    const analysis = await api("/api/study/analysis");
    $("analysis-text").textContent = analysis.text;
    $("analysis-plot").src = withToken("/api/study/plot.png?t=" + Date.now());
    window.studyAnalysis = analysis.result;
  } catch (error) {
    $("analysis-text").textContent = error.message;
  }
}
