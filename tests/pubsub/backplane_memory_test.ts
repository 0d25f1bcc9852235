import { MemoryBackplane } from "../../lib/pubsub/memory_backplane.ts";
import type { TopicEvent } from "../../lib/pubsub/replay.ts";
import { backplaneConformance, RETAIN, type TestBackplane } from "./backplane_conformance.ts";

let shared = new MemoryBackplane({ replay: { size: RETAIN, maxAge: 60_000 } });

/** One process's view of the shared memory backplane: closing it closes only its streams. */
function view(): TestBackplane {
  const streams: { close(): void }[] = [];
  return {
    publish: (topic, data, exclude) => shared.publish(topic, data, exclude),
    replay: (topic, since) => shared.replay(topic, since),
    stream(listener: (event: TopicEvent) => void) {
      const stream = shared.stream(listener);
      streams.push(stream);
      return stream;
    },
    close() {
      for (const stream of streams) stream.close();
      return Promise.resolve();
    },
  };
}

backplaneConformance("memory", {
  setup() {
    shared = new MemoryBackplane({ replay: { size: RETAIN, maxAge: 60_000 } });
    return Promise.resolve();
  },
  teardown: () => shared.close(),
  open: () => Promise.resolve(view()),
});
