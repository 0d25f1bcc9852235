/**
 * The contract shared by examples/contract/server.ts and client.ts: TypeScript types for both
 * sides and the zod schemas the server validates with (a client could import the schemas to
 * check before sending, or not at all).
 *
 * @module
 */

import { z } from "zod";

/** A new task, as callers send it. */
export const NewTask = z.object({
  title: z.string().min(1).max(100),
  priority: z.enum(["low", "high"]).default("low"),
});

/** A stored task. */
export const Task = NewTask.extend({ id: z.number().int().positive() });

/** What `tasks.process` takes: how many tasks to work through. */
export const ProcessInput = z.object({ limit: z.number().int().min(1).max(1_000) });

/** A progress report, streamed by `tasks.process`. */
export interface Progress {
  /** The task just processed. */
  readonly id: number;
  /** How many so far. */
  readonly done: number;
  /** How many in all. */
  readonly of: number;
}

/** The API: what the server offers. */
export interface Api {
  server: {
    tasks: {
      add(input: z.input<typeof NewTask>): z.output<typeof Task>;
      list(): z.output<typeof Task>[];
      /** Streams one progress report per task, then returns a summary. */
      process(input: z.input<typeof ProcessInput>): AsyncGenerator<Progress, string>;
    };
  };
}
