import { describe, it } from "../_deadline.ts";
import assert from "node:assert/strict";
import { HeardSeqs } from "../../lib/pubsub/heard_seqs.ts";

describe("HeardSeqs", () => {
  it("resolves a wait once its seq or a later one is heard on its topic", async () => {
    const heard = new HeardSeqs();
    let done = false;
    const wait = heard.wait("a", 3, 5_000).then(() => done = true);
    heard.heard("b", 9);
    heard.heard("a", 2);
    await Promise.resolve();
    assert.equal(done, false, "another topic, or an earlier seq, does not count");
    heard.heard("a", 4);
    await wait;
    assert.equal(heard.size, 0);
  });

  it("lets a wait go after its bound, and forgets it", async () => {
    const heard = new HeardSeqs();
    await heard.wait("a", 1, 5);
    assert.equal(heard.size, 0);
  });

  it("close() lets every publisher go", async () => {
    const heard = new HeardSeqs();
    const waits = [heard.wait("a", 1, 60_000), heard.wait("b", 7, 60_000)];
    heard.close();
    await Promise.all(waits);
    assert.equal(heard.size, 0);
  });
});
