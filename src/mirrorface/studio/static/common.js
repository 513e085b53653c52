// Shared by the views: the token (from the address the server printed), API calls, WebSockets.
export const token = new URLSearchParams(location.search).get("token");

export async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers["X-Studio-Token"] = token;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error(body.detail || body || response.statusText);
  return body;
}

export function withToken(path) {
  if (!token) return path;
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}

export function socket(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(scheme + "//" + location.host + withToken(path));
  ws.binaryType = "arraybuffer";
  return ws;
}

export function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle("error", isError);
}

// Landmarks (N, 2) in the canonical frame (the face spans about 0.25-0.75) as dots on a canvas.
export function drawLandmarks(canvas, points, colour, clear = true) {
  const g = canvas.getContext("2d");
  if (clear) { g.fillStyle = "#1c1c20"; g.fillRect(0, 0, canvas.width, canvas.height); }
  if (!points) return;
  g.fillStyle = colour;
  for (const [x, y] of points) {
    const px = ((x - 0.5) * 1.8 + 0.5) * canvas.width, py = ((y - 0.6) * 1.8 + 0.5) * canvas.height;
    g.beginPath(); g.arc(px, py, 2, 0, 2 * Math.PI); g.fill();
  }
}
