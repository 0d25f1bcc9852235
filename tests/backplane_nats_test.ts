import { NatsBackplane } from "../lib/pubsub/nats_backplane.ts";
import { type Engine, engineMissing, startNats } from "./_engines.ts";
import { backplaneConformance, RETAIN } from "./backplane_conformance.ts";

let engine: Engine | undefined;

backplaneConformance("nats", {
  async setup() {
    engine = await startNats();
  },
  async teardown() {
    await engine?.stop();
  },
  open: () =>
    NatsBackplane.connect(engine!.url, {
      replay: { size: RETAIN, maxAge: 60_000 },
      timeout: 1_000,
    }),
  engine: () => engine!,
}, engineMissing("nats-server"));
