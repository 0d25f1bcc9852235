/**
 * Chat: a browser page and terminal clients (Deno, Bun) in one room. Messages to the room are
 * broadcast on the topic `chat.room` (everyone subscribed); a welcome and whispers are
 * per-client events (`sb.sendEvent`), which a client hears with `client.onEvent` without
 * subscribing to anything.
 *
 * Run: `deno run -A examples/chat/server.ts` (or `bun examples/chat/server.ts`), open
 * http://127.0.0.1:8000/ in two tabs, and join from a terminal with
 * `deno run -A examples/chat/client.ts ada` or `bun examples/chat/client.ts bob`.
 * PORT sets the port.
 *
 * @module
 */

import { RpcError, type RunningServer, Switchboard } from "../../server.ts";
import { serveWithPages } from "../_serve.ts";

/** A message in the room. */
export interface RoomMessage {
  /** Who said it; absent for the room's own notices (joined, left). */
  readonly from?: string;
  /** The text. */
  readonly text: string;
}

/** The longest name and message accepted. */
const MAX_NAME = 32;
const MAX_TEXT = 500;

/**
 * Build the chat server: `chat.join(name)`, `chat.say(text)`, `chat.whisper(to, text)`.
 *
 * @returns The Switchboard.
 */
export function createChat(): Switchboard {
  const names = new Map<string, string>(); // connection id → name
  const sb: Switchboard = new Switchboard({
    // A client that reconnects gets what it missed in the room.
    pubsub: { replay: { size: 100, maxAge: 10 * 60_000 } },
    onClose: (peer) => {
      const name = names.get(peer.info.id);
      if (name === undefined) return;
      names.delete(peer.info.id);
      void sb.publish("chat.room", { text: `${name} left` });
    },
  });
  const nameOf = (id: string): string => {
    const name = names.get(id);
    if (name === undefined) throw new RpcError(4001, "Join first: call chat.join(name)");
    return name;
  };
  sb.register("chat.join", ([name]: unknown[], ctx) => {
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME) {
      throw new RpcError(-32602, "Invalid params", `name: 1 to ${MAX_NAME} characters`);
    }
    if ([...names.values()].includes(name)) throw new RpcError(4002, `${name} is taken`);
    names.set(ctx.connection.id, name);
    // A per-client event: only this connection gets it, no subscription needed.
    sb.sendEvent(ctx.connection.id, "chat.welcome", { you: name, members: [...names.values()] });
    void sb.publish("chat.room", { text: `${name} joined` });
    return name;
  }, { params: ["name"] });
  sb.register("chat.say", async ([text]: unknown[], ctx) => {
    const from = nameOf(ctx.connection.id);
    return await sb.publish("chat.room", { from, text: checkText(text) });
  }, { params: ["text"] });
  sb.register("chat.whisper", ([to, text]: unknown[], ctx) => {
    const from = nameOf(ctx.connection.id);
    const message = { from, text: checkText(text) };
    for (const [id, name] of names) {
      if (name === to) return sb.sendEvent(id, "chat.whisper", message);
    }
    throw new RpcError(4004, `Nobody called ${String(to)} is here`);
  }, { params: ["to", "text"] });
  return sb;
}

function checkText(text: unknown): string {
  if (typeof text !== "string" || text.length === 0 || text.length > MAX_TEXT) {
    throw new RpcError(-32602, "Invalid params", `text: 1 to ${MAX_TEXT} characters`);
  }
  return text;
}

/**
 * Serve the chat: the page at `/`, JSON-RPC at `/rpc`, the client at `/rpc/client.js`.
 *
 * @param port The port (0 picks one). Default: PORT, else 8000.
 * @returns The running server.
 */
export function startChat(port?: number): Promise<RunningServer> {
  return serveWithPages(createChat(), { "/": new URL("./index.html", import.meta.url) }, port);
}

if (import.meta.main) {
  const server = await startChat();
  console.log(`Chat on ${server.url}/ (terminal: deno run -A examples/chat/client.ts <name>)`);
}
