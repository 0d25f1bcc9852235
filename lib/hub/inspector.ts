/**
 * The inspector page served at `GET /`: live over the hub's own WebSocket endpoint, in plain
 * JSON-RPC 2.0 (no bundle). It shows connected clients (connection, name from `rpc.hello`,
 * identity and roles from auth, procedures), procedures with their descriptions, topics
 * (subscribers, events per second, events), recent errors, and live rates (calls/s, events/s)
 * as small charts; and it acts: call a procedure with JSON params, publish to a topic, tail a
 * topic or pattern live, disconnect a client (`rpc.inspect.disconnect`). It calls
 * `rpc.inspect` with `{"watch": true}` and redraws on every `rpc.inspect.update`. Everything
 * it does goes through the page's own connection, so the hub's rules apply to it as to any
 * client (with auth configured, `rpc.inspect*` needs the `admin` role: open the page with
 * `?token=…`). Untrusted strings are set with `textContent` only.
 *
 * @module
 */

import { Method } from "../protocol/methods.ts";

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; max-width: 75rem; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; min-width: 30rem; }
td, th { border-bottom: 1px solid #ddd; padding: .25rem .75rem; text-align: left; }
#status { font-weight: bold; } .muted { color: #777; }
.charts { display: flex; gap: 2rem; } .chart canvas { border: 1px solid #ddd; display: block; }
.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; align-items: start; }
.actions form { border: 1px solid #ddd; padding: .75rem; }
.actions input, .actions textarea { width: 100%; box-sizing: border-box; font: 13px monospace; }
pre { background: #f6f6f6; padding: .5rem; max-height: 14rem; overflow: auto; margin: .5rem 0 0; }
button { margin-top: .4rem; }
`;

const BODY = `
<h1>Switchboard hub <span id="version" class="muted"></span></h1>
<p>Status: <span id="status">connecting…</span> · <span id="counters" class="muted"></span></p>
<div class="charts">
<div class="chart">calls/s <b id="rate-calls">0</b><canvas id="chart-calls" width="240" height="48"></canvas></div>
<div class="chart">events/s <b id="rate-events">0</b><canvas id="chart-events" width="240" height="48"></canvas></div>
</div>
<h2>Act</h2>
<div class="actions">
<form id="call-form"><b>Call a procedure</b>
<input id="call-method" placeholder="method, e.g. math.add" required>
<textarea id="call-params" rows="2" placeholder="params as JSON, e.g. [1, 2] (optional)"></textarea>
<button id="call-run">Call</button><pre id="call-result"></pre></form>
<form id="publish-form"><b>Publish to a topic</b>
<input id="publish-topic" placeholder="topic, e.g. chat.lobby" required>
<textarea id="publish-data" rows="2" placeholder="data as JSON, e.g. {&quot;text&quot;: &quot;hi&quot;}"></textarea>
<button id="publish-run">Publish</button><pre id="publish-result"></pre></form>
<form id="tail-form"><b>Tail a topic</b>
<input id="tail-topic" placeholder="topic or pattern, e.g. chat.*" required>
<button id="tail-run">Tail</button> <button id="tail-stop" type="button">Stop</button>
<pre id="tail-events"></pre></form>
</div>
<h2>Connected clients (<span id="client-count">0</span>)</h2>
<table><thead><tr><th>Connection</th><th>Name</th><th>Identity</th><th>Roles</th><th>Procedures</th><th></th></tr></thead>
<tbody id="clients"></tbody></table>
<h2>Procedures</h2>
<table><thead><tr><th>Name</th><th>Description</th><th>Served by</th><th></th></tr></thead>
<tbody id="procedures"></tbody></table>
<h2>Topics</h2>
<table><thead><tr><th>Topic</th><th>Subscribers</th><th>Events/s</th><th>Events</th></tr></thead>
<tbody id="topics"></tbody></table>
<h2>Recent errors</h2>
<table><thead><tr><th>Time</th><th>Where</th><th>Message</th></tr></thead><tbody id="errors"></tbody></table>
`;

/** The page's script; `PATH` is replaced by the endpoint path as a JSON string. */
const SCRIPT = `
const $ = (id) => document.getElementById(id);
const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + PATH + location.search;
const CHART_POINTS = 60, TAIL_LINES = 100;
let ws, nextId = 2, tailing, last, latest;
const pending = new Map();
const series = { calls: new Array(CHART_POINTS).fill(0), events: new Array(CHART_POINTS).fill(0) };
function request(method, params) {
  return new Promise((resolve, reject) => {
    if (!ws || ws.readyState !== 1) return reject(new Error("not connected"));
    const id = nextId++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params }));
  });
}
function show(id, value) { $(id).textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2); }
function failure(error) { return error.code === undefined ? String(error.message ?? error) : "error " + error.code + ": " + error.message + (error.data === undefined ? "" : "\\n" + JSON.stringify(error.data, null, 2)); }
function json(text, what) {
  if (text.trim() === "") return undefined;
  try { return JSON.parse(text); } catch { throw new Error(what + " must be JSON"); }
}
function cell(content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = String(content);
  return td;
}
function button(label, onclick) {
  const b = document.createElement("button");
  b.type = "button"; b.textContent = label; b.onclick = onclick;
  return b;
}
function rows(id, list) {
  $(id).replaceChildren(...list.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells.map(cell));
    return tr;
  }));
}
function chart(name, rate) {
  const points = series[name];
  points.push(rate);
  if (points.length > CHART_POINTS) points.shift();
  $("rate-" + name).textContent = rate.toFixed(1);
  const canvas = $("chart-" + name), g = canvas.getContext("2d");
  const top = Math.max(1, ...points);
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.strokeStyle = "#2a6fdb"; g.lineWidth = 2; g.beginPath();
  points.forEach((value, i) => {
    const x = (i / (CHART_POINTS - 1)) * canvas.width;
    const y = canvas.height - 2 - (value / top) * (canvas.height - 4);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
}
// Rates: counters sampled once a second (updates arrive at least that often while watching).
function sample() {
  if (latest === undefined) return;
  const now = Date.now();
  if (last !== undefined && now > last.time) {
    const seconds = (now - last.time) / 1000;
    chart("calls", Math.max(0, latest.calls - last.calls) / seconds);
    chart("events", Math.max(0, latest.events - last.events) / seconds);
  }
  last = { time: now, calls: latest.calls, events: latest.events };
}
setInterval(sample, 1000);
function prepareCall(name) { $("call-method").value = name; $("call-params").focus(); }
function render(s) {
  $("version").textContent = s.server.version + " on " + s.server.runtime;
  const cluster = s.server.cluster;
  $("status").textContent = (s.server.draining ? "draining" : "live") +
    (cluster ? " · cluster hub " + cluster.hub + (cluster.degraded ? " (degraded)" : "") : "");
  $("counters").textContent = "calls " + s.counters.calls + " · routed " +
    s.counters.routed + " · refused " + s.counters.refused + " · errors " + s.counters.errors +
    " · events " + s.counters.events + " · delivered " + s.counters.delivered;
  latest = s.counters;
  $("client-count").textContent = String(s.clients.length);
  rows("clients", s.clients.map((c) => [c.id, c.name ?? "—", c.client || "—", c.roles.join(", "),
    c.procedures.join(", "), button("Disconnect", () => request(METHOD.InspectDisconnect, { connection: c.id })
      .catch((error) => show("call-result", failure(error))))]));
  const names = new Map(s.clients.map((c) => [c.id, c.name ?? c.id]));
  rows("procedures", [
    ...s.procedures.server.map((n) => [n, "", "hub", button("Call", () => prepareCall(n))]),
    ...s.procedures.routed.map((r) => [r.name, r.info?.description ?? "",
      r.callees.map((id) => names.get(id) ?? id).join(", "), button("Call", () => prepareCall(r.name))]),
  ]);
  rows("topics", s.topics.map((t) => [t.name, t.subscribers, t.pattern ? "—" : t.rate.toFixed(1), t.pattern ? "—" : t.events]));
  rows("errors", s.errors.slice().reverse().map((e) => [new Date(e.time).toLocaleTimeString(), e.where, e.message]));
}
function tailLine(params) {
  const pre = $("tail-events");
  const lines = pre.textContent === "" ? [] : pre.textContent.split("\\n");
  lines.push(params.topic + (params.seq === undefined ? "" : " #" + params.seq) + " " + JSON.stringify(params.data));
  pre.textContent = lines.slice(-TAIL_LINES).join("\\n");
  pre.scrollTop = pre.scrollHeight;
}
async function stopTail() {
  if (tailing === undefined) return;
  const topic = tailing;
  tailing = undefined;
  await request(METHOD.Unsubscribe, { topic }).catch(() => {});
}
$("call-form").onsubmit = async (event) => {
  event.preventDefault();
  show("call-result", "…");
  try {
    show("call-result", await request($("call-method").value.trim(), json($("call-params").value, "params")));
  } catch (error) { show("call-result", failure(error)); }
};
$("publish-form").onsubmit = async (event) => {
  event.preventDefault();
  show("publish-result", "…");
  try {
    const result = await request(METHOD.Publish, { topic: $("publish-topic").value.trim(), data: json($("publish-data").value, "data") ?? null, echo: true });
    show("publish-result", "published #" + (result?.seq ?? result));
  } catch (error) { show("publish-result", failure(error)); }
};
$("tail-form").onsubmit = async (event) => {
  event.preventDefault();
  await stopTail();
  const topic = $("tail-topic").value.trim();
  try {
    const result = await request(METHOD.Subscribe, { topic });
    tailing = topic;
    show("tail-events", "tailing " + result.topic + " from #" + result.seq);
  } catch (error) { show("tail-events", failure(error)); }
};
$("tail-stop").onclick = () => stopTail().then(() => show("tail-events", ""));
function start() {
  ws = new WebSocket(url);
  ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: METHOD.Inspect, params: { watch: true } }));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id === 1 && msg.result) render(msg.result);
    else if (msg.id === 1 && msg.error) $("status").textContent = "refused: " + msg.error.message;
    else if (msg.method === METHOD.InspectUpdate) render(msg.params);
    else if (msg.method === METHOD.Event && tailing !== undefined) tailLine(msg.params);
    else if (msg.method === undefined && pending.has(msg.id)) {
      const waiter = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) waiter.reject(msg.error); else waiter.resolve(msg.result);
    }
  };
  ws.onclose = () => {
    for (const waiter of pending.values()) waiter.reject(new Error("disconnected"));
    pending.clear();
    tailing = undefined;
    $("status").textContent = "disconnected, retrying…";
    setTimeout(start, 2000);
  };
}
start();
`;

/**
 * The page's HTML.
 *
 * @param path The endpoint path (e.g. `/rpc`); a `?token=` in the page URL is passed along.
 * @returns A complete HTML document.
 * @example The page talks to the endpoint it is given
 * ```ts
 * import { inspectorPage } from "./inspector.ts";
 * const page = inspectorPage("/rpc");
 * if (!page.includes('const PATH = "/rpc";')) throw new Error("unreachable");
 * if (!page.includes('"InspectDisconnect":"rpc.inspect.disconnect"')) throw new Error("unreachable");
 * if (!page.includes("METHOD.InspectDisconnect")) throw new Error("unreachable");
 * ```
 */
export function inspectorPage(path: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchboard hub</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>
const PATH = ${JSON.stringify(path).replaceAll("<", "\\u003c")};
const METHOD = ${JSON.stringify(Method)};${SCRIPT}</script>
</body>
</html>
`;
}
