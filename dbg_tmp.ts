import { startRedis } from "./tests/_engines.ts";
import { RedisBackplane } from "./lib/pubsub/redis_backplane.ts";
const r = await startRedis({ persist: false });
async function pump(n: number, f: (i: number) => Promise<unknown>) {
  const t = performance.now(); let next = 0;
  await Promise.all(Array.from({ length: 100 }, async () => { while (next < n) await f(next++); }));
  return Math.round(n / ((performance.now() - t) / 1000));
}
const D = { user: "u-1234", text: "hello from the benchmark, a short chat line", n: 0 };
const a = await RedisBackplane.connect(r.url, { replay: { size: 100 } });
const b = await RedisBackplane.connect(r.url, { replay: { size: 100 } });
for (let k = 0; k < 3; k++) {
  console.log("publish only", await pump(20000, (i) => a.publish("t" + (i % 16), D)));
}
let n = 0;
await b.stream(() => n++).add("*");
for (let k = 0; k < 3; k++) {
  const t = performance.now(); n = 0;
  console.log("with listener (publish side)", await pump(20000, (i) => a.publish("t" + (i % 16), D)));
  while (n < 20000) await new Promise((r) => setTimeout(r, 1));
  console.log("  all heard", Math.round(20000 / ((performance.now() - t) / 1000)));
}
await a.close(); await b.close(); await r.stop();
