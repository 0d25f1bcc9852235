/**
 * The inspector page served at `GET /`: connected clients, procedures, topics (subscribers,
 * events per second, events) and recent errors, live over the hub's own WebSocket endpoint. Its script is plain JSON-RPC 2.0 (no
 * bundle): it calls `rpc.inspect` with `{"watch": true}` and redraws on every
 * `rpc.inspect.update` notification. Untrusted strings are set with `textContent` only.
 *
 * @module
 */

/**
 * The page's HTML.
 *
 * @param path The endpoint path (e.g. `/rpc`); a `?token=` in the page URL is passed along.
 * @returns A complete HTML document.
 * @example
 * ```ts
 * import { inspectorPage } from "./inspector.ts";
 * if (!inspectorPage("/rpc").includes('"/rpc"')) throw new Error("unreachable");
 * ```
 */
export function inspectorPage(path: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Switchboard hub</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; min-width: 30rem; }
td, th { border-bottom: 1px solid #ddd; padding: .25rem .75rem; text-align: left; }
#status { font-weight: bold; } .muted { color: #777; }
</style>
</head>
<body>
<h1>Switchboard hub <span id="version" class="muted"></span></h1>
<p>Status: <span id="status">connecting…</span> · <span id="counters" class="muted"></span></p>
<h2>Connected clients (<span id="client-count">0</span>)</h2>
<table><thead><tr><th>Connection</th><th>Client</th><th>Roles</th><th>Procedures</th></tr></thead>
<tbody id="clients"></tbody></table>
<h2>Procedures</h2>
<table><thead><tr><th>Name</th><th>Served by</th></tr></thead><tbody id="procedures"></tbody></table>
<h2>Topics</h2>
<table><thead><tr><th>Topic</th><th>Subscribers</th><th>Events/s</th><th>Events</th></tr></thead>
<tbody id="topics"></tbody></table>
<h2>Recent errors</h2>
<table><thead><tr><th>Time</th><th>Where</th><th>Message</th></tr></thead><tbody id="errors"></tbody></table>
<script>
const path = ${JSON.stringify(path)};
const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path + location.search;
function rows(id, list) {
  const body = document.getElementById(id);
  body.replaceChildren(...list.map((cells) => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.textContent = String(cell);
      tr.append(td);
    }
    return tr;
  }));
}
function render(s) {
  document.getElementById("version").textContent = s.server.version + " on " + s.server.runtime;
  const cluster = s.server.cluster;
  document.getElementById("status").textContent = (s.server.draining ? "draining" : "live") +
    (cluster ? " · cluster hub " + cluster.hub + (cluster.degraded ? " (degraded)" : "") : "");
  document.getElementById("counters").textContent = "calls " + s.counters.calls + " · routed " +
    s.counters.routed + " · refused " + s.counters.refused + " · errors " + s.counters.errors +
    " · events " + s.counters.events + " · delivered " + s.counters.delivered;
  document.getElementById("client-count").textContent = String(s.clients.length);
  rows("clients", s.clients.map((c) => [c.id, c.client, c.roles.join(", "), c.procedures.join(", ")]));
  rows("procedures", [
    ...s.procedures.server.map((n) => [n, "hub"]),
    ...s.procedures.routed.map((r) => [r.name, r.callees.join(", ")]),
  ]);
  rows("topics", s.topics.map((t) => [t.name, t.subscribers, t.pattern ? "—" : t.rate.toFixed(1), t.pattern ? "—" : t.events]));
  rows("errors", s.errors.slice().reverse().map((e) => [new Date(e.time).toLocaleTimeString(), e.where, e.message]));
}
function start() {
  const ws = new WebSocket(url);
  ws.onopen = () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.inspect", params: { watch: true } }));
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id === 1 && msg.result) render(msg.result);
    else if (msg.id === 1 && msg.error) document.getElementById("status").textContent = "refused: " + msg.error.message;
    else if (msg.method === "rpc.inspect.update") render(msg.params);
  };
  ws.onclose = () => {
    document.getElementById("status").textContent = "disconnected, retrying…";
    setTimeout(start, 2000);
  };
}
start();
</script>
</body>
</html>
`;
}
