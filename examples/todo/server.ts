/**
 * A synced todo list: one state object on the server (`sb.state`), followed by every browser
 * tab as a snapshot plus versioned patches. A change made in one tab shows in all of them; a
 * tab that lost its connection reconnects and catches up (the missed patches are replayed, or
 * it takes a fresh snapshot).
 *
 * Run: `deno run -A examples/todo/server.ts` (or `bun examples/todo/server.ts`) and open
 * http://127.0.0.1:8000/ in several tabs. PORT sets the port.
 *
 * @module
 */

import { RpcError, type RunningServer, Switchboard } from "../../server.ts";
import { serveWithPages } from "../_serve.ts";

/** One todo. */
export interface Todo {
  /** Its id. */
  readonly id: number;
  /** What to do. */
  readonly text: string;
  /** Whether it is done. */
  readonly done: boolean;
}

/** The synced state. */
export type TodoList = {
  /** The todos, oldest first. */
  items: Todo[];
  /** The next id. */
  nextId: number;
};

/** Most todos kept, and the longest text. */
const MAX_ITEMS = 200;
const MAX_TEXT = 200;

/**
 * Build the server: state `todos` with methods `add(text)`, `toggle(id)`, `remove(id)` and
 * `clearDone()` (procedures `todos.add`, …).
 *
 * @returns The Switchboard.
 */
export function createTodo(): Switchboard {
  // Replay lets a reconnecting tab catch up with patches instead of a full snapshot.
  const sb = new Switchboard({ pubsub: { replay: { size: 100, maxAge: 10 * 60_000 } } });
  sb.state<TodoList>("todos", { items: [], nextId: 1 }, {
    methods: {
      add: (state, [text]: unknown[]) => {
        if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT) {
          throw new RpcError(-32602, "Invalid params", `text: 1 to ${MAX_TEXT} characters`);
        }
        const { items, nextId } = state.value;
        if (items.length >= MAX_ITEMS) throw new RpcError(4005, `At most ${MAX_ITEMS} todos`);
        state.set({
          items: [...items, { id: nextId, text: text.trim(), done: false }],
          nextId: nextId + 1,
        });
        return nextId;
      },
      toggle: (state, [id]: unknown[]) => {
        state.set({
          items: state.value.items.map((t) => t.id === id ? { ...t, done: !t.done } : t),
        });
      },
      remove: (state, [id]: unknown[]) => {
        state.set({ items: state.value.items.filter((t) => t.id !== id) });
      },
      clearDone: (state) => {
        state.set({ items: state.value.items.filter((t) => !t.done) });
      },
    },
  });
  return sb;
}

/**
 * Serve the todo list: the page at `/`, JSON-RPC at `/rpc`.
 *
 * @param port The port (0 picks one). Default: PORT, else 8000.
 * @returns The running server and its Switchboard.
 */
export async function startTodo(
  port?: number,
): Promise<{ server: RunningServer; sb: Switchboard }> {
  const sb = createTodo();
  const page = new URL("./index.html", import.meta.url);
  return { server: await serveWithPages(sb, { "/": page }, port), sb };
}

if (import.meta.main) {
  const { server } = await startTodo();
  console.log(`Todo list on ${server.url}/ (open it in several tabs)`);
}
