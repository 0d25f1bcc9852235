/**
 * Every example of the JSON-RPC 2.0 specification (section 7), sent byte for byte by a raw
 * WebSocket and by HTTP POST to a real server, on the runtime running the test.
 */

import { after, before, describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { createSpecSwitchboard } from "../../examples/jsonrpc_spec.ts";
import { openRaw, post, type RawSocket, startServer, type TestServer } from "../_fixtures.ts";
import { EXAMPLES, PROBE, PROBE_ANSWER } from "../_spec_examples.ts";

describe("JSON-RPC 2.0 specification examples", () => {
  let server: TestServer;
  const notifications: [string, unknown][] = [];

  before(async () => {
    server = await startServer(
      createSpecSwitchboard((method, params) => notifications.push([method, params])),
    );
  });
  after(() => server.close());

  describe("over WebSocket", () => {
    let raw: RawSocket;
    before(async () => {
      raw = await openRaw(server.wsUrl);
    });
    after(() => raw.socket.close());

    for (const example of EXAMPLES) {
      it(`${example.name}`, async () => {
        if (example.expect === undefined) {
          raw.socket.send(example.send);
          assert.deepEqual(await raw.exchange(PROBE), PROBE_ANSWER);
        } else {
          assert.deepEqual(await raw.exchange(example.send), example.expect);
        }
      });
    }

    it("ran the notifications' procedures with their params", () => {
      const seen = new Map(notifications);
      assert.deepEqual(seen.get("update"), [1, 2, 3, 4, 5]);
      assert.deepEqual(seen.get("notify_hello"), [7]);
      assert.deepEqual(seen.get("notify_sum"), [1, 2, 4]);
    });
  });

  describe("over HTTP POST", () => {
    for (const example of EXAMPLES) {
      it(`${example.name}`, async () => {
        const res = await post(server.httpUrl, example.send);
        if (example.expect === undefined) {
          assert.equal(res.status, 204);
          assert.equal(await res.text(), "");
        } else {
          assert.equal(res.status, 200);
          assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
          assert.deepEqual(await res.json(), example.expect);
        }
      });
    }
  });
});
