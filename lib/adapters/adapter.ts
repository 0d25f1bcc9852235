/**
 * The host seam: the one interface a runtime implements to serve Switchboard. Each host is
 * one file here (lib/adapters/deno.ts, bun.ts, node.ts) or one folder (lib/adapters/cloudflare/
 * for a Durable Object with hibernation); the core never imports them. The types live in
 * lib/server/host.ts (the server's side of the seam) and are re-exported here.
 *
 * ## What a host provides
 *
 * 1. **Accept a socket.** On a WebSocket upgrade the host asks the server for a sink
 *    (`await switchboard.websocketEvents(c)` inside Hono's `upgradeWebSocket`, or
 *    `switchboard.socketSink(info)` when the host creates the connection itself, as a Durable
 *    Object does after hibernation). If {@linkcode isSocketSink} says the events are a
 *    {@linkcode SocketSink}, the host drives it directly; otherwise it falls back to Hono's
 *    `WSEvents` on the same object. Binary frames must arrive as `ArrayBuffer`
 *    (`binaryType = "arraybuffer"`). Where the runtime has native topics (Bun), the host
 *    calls `sink.useTopics(topics)` ({@linkcode RuntimeTopics}) before `socketOpened`.
 * 2. **Hand the socket and frames in.** `sink.socketOpened(socket)` once, with the runtime's
 *    socket as a {@linkcode NativeSocket}; `sink.socketMessage(frame)` per frame, in order;
 *    `sink.socketClosed(code, reason)` exactly once (an error without a close: 1006). A sink
 *    method that throws closes only its own socket, with 1011.
 * 3. **Send with backpressure feedback.** The server calls `socket.send(frame)` (string: text
 *    frame, bytes: binary frame) and reads what it returns: a number where the runtime tells
 *    (Bun: > 0 written, −1 queued under backpressure, 0 dropped, which closes with 4008), or
 *    else the socket's buffered amount, read with {@linkcode readBufferedAmount}
 *    (`bufferedAmount` or `getBufferedAmount()`). A runtime that signals a drain calls
 *    `sink.socketDrained()`. A runtime with its own frame-size or buffer limits sets them
 *    from {@linkcode ListenOptions} (`maxMessageSize`, and above 2 × `maxBufferedBytes`).
 * 4. **Close.** `socket.close(code, reason)`; the runtime then reports the close through
 *    `socketClosed`. The server never closes a socket any other way.
 * 5. **Timers.** A `Clock` (lib/protocol/clock.ts: `now`, `setTimeout`, `clearTimeout`).
 *    The runtime's global timers by default; a host (or a test) passes its own as
 *    `heartbeat.clock`.
 * 6. **Serve** (optional, for `Switchboard.listen`/the hub): a {@linkcode RuntimeAdapter}
 *    with `serve(app, options)` returning a {@linkcode RunningServer}.
 *
 * @example A host in a few lines: an in-memory socket driven through the seam
 * ```ts
 * import { isSocketSink, type NativeSocket } from "./adapter.ts";
 * import { Switchboard } from "../server/switchboard.ts";
 * const sb = new Switchboard({ heartbeat: false });
 * sb.register("add", ([a, b]: number[]) => a! + b!);
 * const sink = sb.socketSink({ id: "c1", headers: new Headers(), data: {} });
 * const sent: unknown[] = [];
 * const socket: NativeSocket = { send: (frame) => void sent.push(frame), close() {} };
 * if (!isSocketSink(sink)) throw new Error("unreachable");
 * sink.socketOpened(socket);
 * sink.socketMessage('{"jsonrpc":"2.0","id":1,"method":"add","params":[2,3]}');
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * if (JSON.parse(String(sent[0])).result !== 5) throw new Error("unreachable");
 * sink.socketClosed(1000, "");
 * ```
 *
 * @module
 */

export {
  isSocketOpen,
  isSocketSink,
  type ListenOptions,
  type NativeSocket,
  originOf,
  readBufferedAmount,
  type RunningServer,
  type RuntimeAdapter,
  type RuntimeTopics,
  type SocketSink,
} from "../server/host.ts";
