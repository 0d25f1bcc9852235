import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { createTickerSwitchboard } from "../../examples/ticker.ts";
import { openClient, openRaw, startServer } from "../_fixtures.ts";
import { waitFor } from "../_pubsub_helpers.ts";

describe("examples/ticker.ts", () => {
  it("publishes ticker.ACME only while subscribed and lets clients chat on chat.*", async () => {
    const sb = createTickerSwitchboard(10);
    const server = await startServer(sb);
    const raw = await openRaw(server.wsUrl);
    const client = await openClient(server.wsUrl);
    try {
      const reply = await raw.exchange(
        '{"jsonrpc":"2.0","id":1,"method":"rpc.subscribe","params":{"topic":"ticker.ACME"}}',
      );
      assert.deepEqual(reply, {
        jsonrpc: "2.0",
        id: 1,
        result: { topic: "ticker.ACME", seq: 0 },
      });
      const event = JSON.parse(await raw.next() as string);
      assert.equal(event.method, "rpc.event");
      assert.equal(event.params.topic, "ticker.ACME");
      assert.equal(event.params.seq, 1);
      assert.equal(event.params.data.symbol, "ACME");
      assert.equal(typeof event.params.data.price, "number");
      raw.socket.close();
      await waitFor(() => sb.pubsub.subscriberCount("ticker.ACME") === 0, "the unsubscribe");

      const chat: unknown[] = [];
      await client.subscribe("chat.lobby", (d) => chat.push(d)).ready;
      assert.equal(await client.publish("chat.lobby", "hi", { echo: true }), 1);
      await waitFor(() => chat.length === 1, "the chat message");
      const refused = await client.publish("ticker.ACME", 1).catch((e) => e);
      assert.equal(refused.code, -32006);
    } finally {
      raw.socket.close();
      client.close();
      await server.close();
    }
  });
});
