/**
 * Switchboard inside an existing Hono app: the app keeps its own routes (a page, a JSON API,
 * its own middleware), and Switchboard is one more sub-app mounted at `/api/rpc`. A Hono
 * middleware authenticates the request (a `?token=` or `Authorization: Bearer` token) and sets
 * the user; Switchboard's `context` hook reads it, so every call of the connection knows who
 * is calling.
 *
 * Run: `deno run -A examples/hono_app/server.ts` (or `bun examples/hono_app/server.ts`), then
 * open http://127.0.0.1:8000/ or try
 * `curl 127.0.0.1:8000/api/rpc -H 'authorization: Bearer ada-token' -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"whoami"}'`.
 * PORT sets the port.
 *
 * @module
 */

import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { detectAdapter, type RunningServer, Switchboard, switchboardRoutes } from "../../server.ts";
import { envPort } from "../_serve.ts";

/** The app's users, by token (a real app asks its session store or verifies a JWT). */
const USERS: Readonly<Record<string, string>> = { "ada-token": "ada", "bob-token": "bob" };

/**
 * Build the app: `/` (a page), `/api/health`, `/api/notes` (plain JSON routes) and the
 * Switchboard endpoint at `/api/rpc` (WebSocket, POST, and `/api/rpc/client.js`).
 *
 * @returns The Hono app and its Switchboard.
 */
export async function createApp(): Promise<{ app: Hono; sb: Switchboard }> {
  const notes: { by: string; text: string }[] = [];
  const sb = new Switchboard({
    // Runs on the upgrade (or POST) request, after the app's middleware.
    context: (c) => ({ user: c.get("user") }),
  });
  sb.register("whoami", (_params, ctx) => ctx.connection.data.user);
  sb.register("notes.add", ([text]: unknown[], ctx) => {
    if (typeof text !== "string" || text === "") throw new TypeError("text must be a string");
    notes.push({ by: String(ctx.connection.data.user), text });
    void sb.publish("notes.changed", notes.length);
    return notes.length;
  }, { params: ["text"], exposeErrors: true });

  const app = new Hono();
  app.get("/", (c) =>
    c.html(
      `<!doctype html><meta charset="utf-8"><title>My app</title>
<h1>My app</h1><p>Its own routes: <a href="/api/health">/api/health</a>,
<a href="/api/notes">/api/notes</a>; and Switchboard at /api/rpc.</p><pre id="out"></pre>
<script type="module">
  import { connect } from "/api/rpc/client.js";
  const client = connect(location.origin.replace("http", "ws") + "/api/rpc?token=ada-token");
  document.getElementById("out").textContent = "whoami → " + await client.call("whoami");
</script>`,
    ));
  app.get("/api/health", (c) => c.json({ ok: true }));
  app.get("/api/notes", (c) => c.json(notes));
  // The app's own authentication, in front of Switchboard like any other route.
  const authenticate = createMiddleware<{ Variables: { user: string } }>(async (c, next) => {
    const bearer = c.req.header("authorization")?.replace(/^Bearer /, "");
    const user = USERS[bearer ?? c.req.query("token") ?? ""];
    if (user === undefined) return c.json({ error: "unauthorized" }, 401);
    c.set("user", user);
    return await next();
  });
  app.use("/api/rpc", authenticate); // the endpoint only: /api/rpc/client.js stays public
  const adapter = await detectAdapter();
  app.route("/api/rpc", switchboardRoutes(sb, adapter.upgradeWebSocket));
  return { app, sb };
}

/**
 * Serve the app on the current runtime.
 *
 * @param port The port (0 picks one). Default: PORT, else 8000.
 * @returns The running server.
 */
export async function startApp(port?: number): Promise<RunningServer> {
  const { app, sb } = await createApp();
  const adapter = await detectAdapter();
  const server = await adapter.serve(app, {
    hostname: "127.0.0.1",
    port: port ?? envPort(),
    maxMessageSize: sb.maxFrameSize,
  });
  return {
    ...server,
    close: async () => {
      sb.closeAll();
      await server.close();
    },
  };
}

if (import.meta.main) {
  const server = await startApp();
  console.log(`App on ${server.url}/ with Switchboard at ${server.url}/api/rpc`);
}
