/**
 * The `backplane` config key, `SWITCHBOARD_BACKPLANE` and `--backplane`; a hub without one is
 * not in a cluster.
 */

import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { resolveHubConfig } from "../../lib/hub/config.ts";
import { loadHubConfig } from "../../lib/hub/main.ts";
import { startHub } from "../_hub.ts";

describe("hub backplane config", () => {
  it("reads the file key, the environment and the flag, in that order of precedence", async () => {
    assert.equal(resolveHubConfig({}).backplane, undefined);
    assert.equal(
      resolveHubConfig({ backplane: "redis://127.0.0.1:6379" }).backplane,
      "redis://127.0.0.1:6379",
    );
    assert.equal(
      resolveHubConfig(
        { backplane: "redis://127.0.0.1:6379" },
        { SWITCHBOARD_BACKPLANE: "nats://127.0.0.1:4222" },
      ).backplane,
      "nats://127.0.0.1:4222",
    );
    const flagged = await loadHubConfig(["--backplane", "redis://10.0.0.1:7000"], {
      SWITCHBOARD_BACKPLANE: "nats://127.0.0.1:4222",
    });
    assert.equal(flagged.backplane, "redis://10.0.0.1:7000");
  });

  it("refuses another scheme or a non-string", () => {
    assert.throws(() => resolveHubConfig({ backplane: "http://127.0.0.1:6379" }), TypeError);
    assert.throws(() => resolveHubConfig({ backplane: 6379 }), TypeError);
  });

  it("a single hub's /health has no cluster field; memory: gives a one-hub backplane", async () => {
    const single = await startHub();
    const memory = await startHub({ backplane: "memory:" });
    try {
      assert.deepEqual(await (await fetch(`${single.origin}/health`)).json(), {
        ok: true,
        connections: 0,
      });
      const body = await (await fetch(`${memory.origin}/health`)).json();
      assert.deepEqual(body.cluster, { hub: "", degraded: false, backplane: { state: "up" } });
    } finally {
      await single.close();
      await memory.close();
    }
  });
});
