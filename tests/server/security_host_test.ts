/**
 * DNS rebinding: the hub and `serve()` answer only Host values naming themselves (their bound
 * address, the loopback names, configured `allowedHosts`), and browser Origins that are one
 * of those hosts or listed — never an Origin built from the request's own Host.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { serve, Switchboard } from "../../server.ts";
import { HostGuard } from "../../lib/server/host_guard.ts";
import { startHub, type TestHub } from "../_hub.ts";
import { postRequest, rawRequest, upgradeRequest } from "../_raw_http.ts";

const PING = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "rpc.ping" });

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe("hub Host and Origin checks", () => {
  let hub: TestHub;
  let port: number;
  before(async () => {
    hub = await startHub({ allowedHosts: ["rpc.example.com"], origins: ["https://app.example"] });
    port = portOf(hub.origin);
  });
  after(() => hub.close());

  it("refuses a rebound WebSocket (Host and Origin both evil.example) with 403", async () => {
    const res = await rawRequest(
      port,
      upgradeRequest("/rpc", `evil.example:${port}`, { Origin: `http://evil.example:${port}` }),
    );
    assert.equal(res.status, 403, res.head);
  });

  it("refuses a rebound HTTP POST and GET /health with 403 and a JSON-RPC body", async () => {
    const posted = await rawRequest(port, postRequest("/rpc", `evil.example:${port}`, PING), 20);
    assert.equal(posted.status, 403, posted.head);
    assert.match(posted.body, /"code":-32006,"message":"Host not allowed"/);
    const health = await rawRequest(
      port,
      `GET /health HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(health.status, 403);
  });

  it("refuses a loopback name on another port and an Origin of a foreign name", async () => {
    const other = await rawRequest(port, postRequest("/rpc", `localhost:${port + 1}`, PING));
    assert.equal(other.status, 403);
    const origin = await rawRequest(
      port,
      upgradeRequest("/rpc", `127.0.0.1:${port}`, { Origin: "http://evil.example" }),
    );
    assert.equal(origin.status, 403);
  });

  it("serves its loopback names and the configured public host", async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "rpc.example.com"]) {
      const res = await rawRequest(port, postRequest("/rpc", host, PING), 20);
      assert.equal(res.status, 200, `${host}: ${res.head}`);
      assert.match(res.body, /"result":"pong"/);
    }
  });

  it("upgrades a browser on the public host, its own origin or a listed origin", async () => {
    const cases: [string, string][] = [
      ["rpc.example.com", "https://rpc.example.com"],
      [`localhost:${port}`, `http://localhost:${port}`],
      [`127.0.0.1:${port}`, "https://app.example"],
      [`127.0.0.1:${port}`, `http://localhost:${port + 1}`],
    ];
    for (const [host, origin] of cases) {
      const res = await rawRequest(port, upgradeRequest("/rpc", host, { Origin: origin }));
      assert.equal(res.status, 101, `${host} ${origin}: ${res.head}`);
    }
  });
});

describe("serve() Host and Origin checks", () => {
  it("refuses rebinding on the endpoint and serves allowedHosts", async () => {
    const server = await serve(new Switchboard(), {
      hostname: "127.0.0.1",
      port: 0,
      allowedHosts: ["api.example.com"],
    });
    try {
      const port = server.port;
      const ws = await rawRequest(
        port,
        upgradeRequest("/rpc", `evil.example:${port}`, { Origin: `http://evil.example:${port}` }),
      );
      assert.equal(ws.status, 403, ws.head);
      const posted = await rawRequest(port, postRequest("/rpc", `evil.example:${port}`, PING));
      assert.equal(posted.status, 403, posted.head);
      const listed = await rawRequest(port, postRequest("/rpc", "api.example.com", PING), 20);
      assert.equal(listed.status, 200, listed.head);
      assert.match(listed.body, /"result":"pong"/);
      const own = await rawRequest(
        port,
        upgradeRequest("/rpc", `127.0.0.1:${port}`, { Origin: `http://127.0.0.1:${port}` }),
      );
      assert.equal(own.status, 101, own.head);
    } finally {
      await server.close();
    }
  });
});

describe("HostGuard", () => {
  it("bound to every interface, serves IP literals and loopback names but no other name", () => {
    const guard = new HostGuard();
    guard.bind("0.0.0.0", 8000);
    assert.ok(guard.hostAllowed("192.168.1.20:8000"));
    assert.ok(guard.hostAllowed("[fe80::1]:8000"));
    assert.ok(guard.hostAllowed("localhost:8000"));
    assert.ok(!guard.hostAllowed("evil.example:8000"));
    assert.ok(!guard.hostAllowed("192.168.1.20:8001"));
    assert.ok(guard.originAllowed("http://localhost:5173"));
    assert.ok(!guard.originAllowed("http://192.168.1.20:8000"));
  });

  it("matches suffixes, pinned ports, and '*' turns only the Host check off", () => {
    const guard = new HostGuard({ allowedHosts: [".example.com", "pinned.example.org:8443"] });
    guard.bind("127.0.0.1", 8000);
    assert.ok(guard.hostAllowed("example.com"));
    assert.ok(guard.hostAllowed("a.b.example.com:9999"));
    assert.ok(!guard.hostAllowed("badexample.com"));
    assert.ok(guard.hostAllowed("pinned.example.org:8443"));
    assert.ok(!guard.hostAllowed("pinned.example.org"));
    const open = new HostGuard({ allowedHosts: ["*"] });
    open.bind("127.0.0.1", 8000);
    assert.ok(open.hostAllowed("anything.example"));
    assert.ok(!open.originAllowed("http://anything.example"));
    assert.ok(open.originAllowed("http://127.0.0.1:8000"));
    assert.ok(!open.originAllowed("null"));
    assert.throws(() => new HostGuard({ allowedHosts: ["bad host"] }), TypeError);
  });
});
