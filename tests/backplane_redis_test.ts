import { RedisBackplane } from "../lib/pubsub/redis_backplane.ts";
import { type Engine, engineMissing, startRedis } from "./_engines.ts";
import { backplaneConformance, RETAIN } from "./backplane_conformance.ts";

let engine: Engine | undefined;

backplaneConformance("redis", {
  async setup() {
    engine = await startRedis();
  },
  async teardown() {
    await engine?.stop();
  },
  open: () =>
    RedisBackplane.connect(engine!.url, {
      replay: { size: RETAIN, maxAge: 60_000 },
      timeout: 1_000,
    }),
  engine: () => engine!,
}, engineMissing("redis-server"));
