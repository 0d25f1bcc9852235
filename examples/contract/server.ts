/**
 * The typed contract: the server implements `Api["server"]` (examples/contract/api.ts) with
 * `implement`, checked by the compiler; `procedure()` validates each input with zod (a bad
 * input is answered `-32602` with zod's issues) and `rpc.discover`-style tools see the JSON
 * Schemas; `tasks.process` streams its progress as an async generator with flow control.
 *
 * Run: `deno run -A examples/contract/server.ts` (or `bun examples/contract/server.ts`), then
 * `deno run -A examples/contract/client.ts`. PORT sets the port.
 *
 * @module
 */

import { implement, procedure, type RunningServer, serve, Switchboard } from "../../server.ts";
import { envPort } from "../_serve.ts";
import { type Api, NewTask, ProcessInput, type Progress, Task } from "./api.ts";

/**
 * Build the server.
 *
 * @param stepMs Pause per processed task (ms), to make the stream visible. Default 50.
 * @returns The Switchboard.
 */
export function createTasks(stepMs = 50): Switchboard {
  const tasks: { id: number; title: string; priority: "low" | "high" }[] = [];
  const sb = new Switchboard();
  implement<Api["server"]>(sb, {
    tasks: {
      add: procedure({ input: NewTask, output: Task, description: "Add a task" }, (input) => {
        const task = { id: tasks.length + 1, ...input };
        tasks.push(task);
        return task;
      }),
      list: () => tasks,
      process: procedure(
        { input: ProcessInput, description: "Work through tasks, streaming progress" },
        async function* ({ limit }, ctx): AsyncGenerator<Progress, string> {
          const batch = tasks.slice(0, limit);
          let done = 0;
          for (const task of batch) {
            if (ctx.signal.aborted) return `stopped after ${done}`;
            await new Promise((resolve) => setTimeout(resolve, stepMs));
            yield { id: task.id, done: ++done, of: batch.length };
          }
          return `processed ${done} of ${tasks.length}`;
        },
      ),
    },
  });
  return sb;
}

/**
 * Serve the tasks at `/rpc`.
 *
 * @param port The port (0 picks one). Default: PORT, else 8000.
 * @param stepMs Pause per processed task.
 * @returns The running server.
 */
export function startTasks(port?: number, stepMs?: number): Promise<RunningServer> {
  return serve(createTasks(stepMs), { port: port ?? envPort() });
}

if (import.meta.main) {
  const server = await startTasks();
  console.log(`Tasks on ${server.url.replace("http", "ws")}/rpc`);
}
