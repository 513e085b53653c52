// Chat: the text goes to an OpenAI-compatible chat model (studio/chat.py, the client of `mirrorface
// chat`), and its reply is spoken by the Speak view's engine.
import { api, say } from "./common.js";
import { speakText } from "./speak.js";

const $ = (id) => document.getElementById(id);

export async function initChat() {
  $("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("chat-text").value;
    log("you", text);
    try {
      const { reply } = await api("/api/chat", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: $("chat-url").value, text }) });
      log("face", reply);
      say($("chat-status"), "speaking the reply (see the Speak view for the files)");
      await speakText(reply, $("speak-lang").value || "en");
    } catch (error) {
      say($("chat-status"), error.message, true);
    }
  });
}

function log(who, text) {
  const item = document.createElement("li");
  item.textContent = `${who}: ${text}`;
  $("chat-log").append(item);
}
