// The page: tabs, and each view's module started once.
import { initChat } from "./chat.js";
import { initCoexpress } from "./coexpress.js";
import { initData } from "./data.js";
import { initSpeak } from "./speak.js";
import { initAnalysis, initStudy } from "./study.js";

const views = { speak: initSpeak, coexpress: initCoexpress, data: initData, chat: initChat, study: initStudy, analysis: initAnalysis };
const started = {};

async function show(name) {
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("active", button.dataset.view === name);
  for (const section of document.querySelectorAll(".view")) section.classList.toggle("active", section.id === "view-" + name);
  if (!started[name] && views[name]) { started[name] = true; await views[name](); }
  location.hash = name;
}

for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => show(button.dataset.view));
show((location.hash || "#speak").slice(1)).then(() => { document.body.dataset.ready = "1"; });
