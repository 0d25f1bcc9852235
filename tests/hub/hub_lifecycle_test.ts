/**
 * Operating the hub: health and metrics routes, the inspector page's HTML, graceful
 * shutdown (drain, then 1001), and a restart on the same port with clients connecting anew.
 */

import { describe, it, within } from "../_deadline.ts";
import assert from "node:assert/strict";
import { offer } from "../../lib/hub/offer.ts";
import { openClient, rejection, until } from "../_fixtures.ts";
import { startHub } from "../_hub.ts";

describe("hub operations", () => {
  it("GET /health and GET /metrics report connections, calls and latency", async () => {
    const hub = await startHub();
    const a = await openClient(hub.wsUrl);
    try {
      await offer(a, "m.one", () => 1);
      assert.equal(await a.call("m.one"), 1);
      assert.deepEqual(await (await fetch(`${hub.origin}/health`)).json(), {
        ok: true,
        connections: 1,
      });
      const res = await fetch(`${hub.origin}/metrics`);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const text = await res.text();
      assert.match(text, /^switchboard_connections 1$/m);
      assert.match(text, /^switchboard_routed_calls_total 1$/m);
      assert.match(text, /^switchboard_routed_call_duration_seconds_count 1$/m);
      assert.match(text, /^switchboard_procedures 1$/m);
      assert.match(text, /^switchboard_received_bytes_total [1-9]\d*$/m);
      assert.match(text, /^switchboard_sent_bytes_total [1-9]\d*$/m);
      const page = await (await fetch(`${hub.origin}/`)).text();
      assert.match(page, /<title>Switchboard hub<\/title>/);
    } finally {
      a.close();
      await hub.close();
    }
  });

  it("shutdown drains a routed call in flight, then closes clients with 1001", async () => {
    const hub = await startHub();
    const callee = await openClient(hub.wsUrl, { reconnect: false });
    const caller = await openClient(hub.wsUrl, { reconnect: false });
    let release!: (value: string) => void;
    await offer(callee, "slow.answer", () => new Promise<string>((r) => release = r));
    const inFlight = caller.call("slow.answer");
    await until(() => hub.hub.router.inFlight === 1);
    const stopped = hub.close();
    assert.equal((await rejection(caller.call("rpc.time"))).code, -32014);
    release("finished");
    assert.equal(await inFlight, "finished");
    await stopped;
    assert.equal((await within(caller.closed, "caller.closed")).code, 1001);
    assert.equal((await within(callee.closed, "callee.closed")).code, 1001);
  });

  it("a restarted hub on the same port: clients reconnect and offer their procedures again", async () => {
    const first = await startHub();
    const port = Number(new URL(first.origin).port);
    const client = await openClient(first.wsUrl, { reconnect: { min: 20, max: 100 } });
    const caller = await openClient(first.wsUrl, { reconnect: { min: 20, max: 100 } });
    try {
      await offer(client, "svc.v", () => 1);
      assert.equal(await caller.call("svc.v"), 1);
      const dropped = new Promise((resolve) => client.on("disconnected", resolve));
      await first.close();
      assert.equal((await dropped as { code: number }).code, 1001);
      const second = await startHub({ port });
      try {
        assert.equal(second.wsUrl, first.wsUrl);
        // The callee re-offers svc.v after reconnecting; the caller's call waits for its own
        // reconnection (queued), then reaches it.
        await until(() => second.hub.router.list().some((r) => r.name === "svc.v"), 5000);
        assert.equal(await caller.call("svc.v"), 1);
      } finally {
        await second.close();
      }
    } finally {
      client.close();
      caller.close();
    }
  });
});
