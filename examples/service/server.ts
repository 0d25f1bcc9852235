/**
 * A per-connection service: every connection gets its own editing session (`sb.service`),
 * whose state lives exactly as long as the connection. Calls go both ways: the client calls
 * the session's methods (`editor.insert`, `editor.save`, …), and the session calls the
 * client's own procedures (`ui.name` in `init`, `ui.confirm` before saving). `init` runs when
 * the connection opens (calls wait for it) and `close` when it closes.
 *
 * Run: `deno run -A examples/service/server.ts` (or `bun examples/service/server.ts`), then
 * `deno run -A examples/service/client.ts` in another terminal. PORT sets the port.
 *
 * @module
 */

import { RpcError, type RunningServer, serve, Switchboard } from "../../server.ts";
import { envPort } from "../_serve.ts";

/** A saved document. */
export interface SavedDocument {
  /** Who wrote it (the client's answer to `ui.name`). */
  readonly author: string;
  /** Its text. */
  readonly text: string;
}

/**
 * Build the server: the `editor` service, and the documents saved so far.
 *
 * @param log Where session events are written. Default: the console.
 * @returns The Switchboard and the saved documents.
 */
export function createEditor(
  log: (line: string) => void = console.log,
): { sb: Switchboard; saved: SavedDocument[] } {
  const saved: SavedDocument[] = [];
  const sb = new Switchboard();
  sb.service((session) => {
    // This closure is one connection's session.
    let author = "anonymous";
    let text = "";
    let edits = 0;
    return {
      init: async () => {
        // Server → client: ask the client who it is before serving its calls.
        author = String(await session.peer.call("ui.name", [], { timeout: 5_000 }));
        session.emit("editor.ready", { author }); // a per-client event
        log(`session ${session.info.id.slice(0, 8)} opened by ${author}`);
      },
      methods: {
        insert: ([chunk]: unknown[]) => {
          if (typeof chunk !== "string") throw new RpcError(-32602, "Invalid params", "a string");
          text += chunk;
          edits++;
          return text.length;
        },
        text: () => text,
        undo: () => {
          text = "";
          return text.length;
        },
        save: async () => {
          // Server → client again, in the middle of a client → server call.
          const ok = await session.peer.call("ui.confirm", [`Save ${text.length} characters?`]);
          if (ok !== true) return false;
          saved.push({ author, text });
          return true;
        },
      },
      close: (info) => log(`session of ${author} closed (${info.code}) after ${edits} edits`),
    };
  }, { prefix: "editor" });
  return { sb, saved };
}

/**
 * Serve the editor at `/rpc`.
 *
 * @param port The port (0 picks one). Default: PORT, else 8000.
 * @param log Where session events are written.
 * @returns The running server and the saved documents.
 */
export async function startEditor(
  port?: number,
  log?: (line: string) => void,
): Promise<{ server: RunningServer; saved: SavedDocument[] }> {
  const { sb, saved } = createEditor(log);
  return { server: await serve(sb, { port: port ?? envPort() }), saved };
}

if (import.meta.main) {
  const { server } = await startEditor();
  console.log(`Editor service on ${server.url.replace("http", "ws")}/rpc`);
}
