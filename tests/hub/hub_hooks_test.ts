/**
 * The two core hooks the hub stands on: Registry.setFallback (lookup order) and the peer's
 * authorize option (refusal before dispatch).
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { Peer, RpcError } from "../../server.ts";
import { Registry } from "../../lib/router/registry.ts";

describe("core hooks used by the hub", () => {
  it("Registry.setFallback() is consulted after the registry and its parent", () => {
    const parent = new Registry();
    const child = new Registry(parent);
    const routed = new Registry();
    routed.register("x", () => "routed");
    routed.register("y", () => "routed");
    parent.setFallback((name) => routed.get(name));
    parent.register("x", () => "parent");
    assert.equal(child.get("x")!.handler(undefined as never, undefined as never), "parent");
    assert.equal(child.get("y")!.handler(undefined as never, undefined as never), "routed");
    parent.setFallback(undefined);
    assert.equal(child.get("y"), undefined);
  });

  it("PeerOptions.authorize refuses a request with its error, before method lookup", () => {
    const seen: string[] = [];
    const reported: unknown[] = [];
    const peer = new Peer({ send() {}, close() {} }, {
      authorize: (method) => {
        seen.push(method);
        if (method !== "open") throw new RpcError(-32011, "Forbidden");
      },
      onError: (error) => reported.push(error),
    });
    peer.register("open", () => 1);
    assert.deepEqual(peer.handle({ jsonrpc: "2.0", id: 1, method: "open" }), {
      jsonrpc: "2.0",
      id: 1,
      result: 1,
    });
    assert.deepEqual(peer.handle({ jsonrpc: "2.0", id: 2, method: "missing" }), {
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32011, message: "Forbidden" },
    });
    assert.equal(peer.handle({ jsonrpc: "2.0", method: "closed" }), undefined);
    assert.deepEqual(seen, ["open", "missing", "closed"]);
    assert.equal(reported.length, 1);
    peer.close();
  });
});
