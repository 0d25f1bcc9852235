/**
 * A Worker and its Durable Object serving Switchboard at `/rpc` (one hub per `?room=`,
 * default `main`): the JSON-RPC 2.0 specification's methods (examples/spec_methods.ts), a
 * topic `news`, a synced state `counter`, a binary procedure and a call back into the
 * client. Deploy with `wrangler deploy` (see wrangler.jsonc next to this file); run by
 * examples/cloudflare/dev.ts, which serves it locally
 * in workerd with `npm run edge:dev`.
 *
 * @module
 */

import { switchboardObject, switchboardWorker } from "../../cloudflare.ts";
import { registerSpecMethods } from "../spec_methods.ts";

/**
 * The Durable Object class bound as `SWITCHBOARD` in wrangler.jsonc.
 *
 * @example
 * ```ts
 * import { SwitchboardHub } from "./worker.ts";
 * if (typeof SwitchboardHub !== "function") throw new Error("unreachable");
 * ```
 */
export const SwitchboardHub = switchboardObject((sb, { state }) => {
  /** This incarnation of the object (a new one after each wake or restart). */
  const instance = crypto.randomUUID();
  registerSpecMethods(sb);
  sb.register("instance", () => instance);
  sb.register("whoami", (_params, ctx) => ctx.connection.data.user ?? null);
  sb.register("login", ([user]: string[], ctx) => {
    ctx.connection.data.user = user;
    return user;
  });
  sb.register("echo", (params) => params);
  sb.register("add", ([a, b]: number[]) => a! + b!);
  sb.register("news.publish", ([text]: string[]) => sb.publish("news.today", text));
  sb.register("bytes.reverse", ([bytes]: Uint8Array[]) => bytes!.slice().reverse());
  // A call that waits for another client's `gate.open`: nothing but the call is pending.
  let opened = Promise.withResolvers<unknown>();
  sb.register("gate.wait", () => opened.promise);
  sb.register("gate.open", ([value]: unknown[]) => {
    opened.resolve(value);
    opened = Promise.withResolvers<unknown>();
    return true;
  });
  sb.register("wait", ([ms]: number[]) => new Promise((resolve) => setTimeout(resolve, ms, ms)));
  sb.register(
    "ask",
    ([method, ...params]: unknown[], ctx) => ctx.peer.call(String(method), params),
  );
  state("counter", { count: 0 }, {
    methods: {
      increment: (counter, [by = 1]: number[]) => counter.set({ count: counter.value.count + by }),
    },
  });
}, {
  // Clients may subscribe to anything and publish on `chat.*` themselves.
  pubsub: {
    authorize: ({ action, topic }) => action === "subscribe" || topic.startsWith("chat."),
  },
  // The user named in the upgrade URL (`?user=ada`) stays with the connection across
  // hibernation; a real app would verify a token here instead.
  context: (c) => {
    const user = c.req.query("user");
    return user === undefined ? {} : { user };
  },
});

/** The Worker: `/rpc` to the room's object, `/rpc/client.js` the client module. */
export default switchboardWorker({ binding: "SWITCHBOARD" });
