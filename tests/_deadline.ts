/**
 * Deadlines for the suite: no test can hang.
 *
 * - Every test file imports `describe`, `it`, `before` and `after` from here instead of
 *   `node:test`. This `it` gives each test a timeout of {@linkcode TEST_TIMEOUT_MS} unless the
 *   test sets its own (`{ timeout }`): a test that would wait forever fails after it, on Deno
 *   (which has no default per-test timeout) as on Bun (5 s by default). The hooks race the
 *   same deadline (Deno ignores a hook's `timeout` option).
 *   tests/suite_guard_test.ts checks that every test file does.
 * - {@linkcode within} races one awaited event (a close, a callback, a settled promise)
 *   against a short deadline, so a broken behaviour fails in seconds with a message that says
 *   what never happened.
 *
 * @module
 */

import * as nodeTest from "node:test";

export { describe } from "node:test";

/** The timeout of a test that sets none, in ms. */
export const TEST_TIMEOUT_MS = 20_000;

/** How long {@linkcode within} waits by default, in ms: ample for loopback, short for a bug. */
export const EVENT_TIMEOUT_MS = 3_000;

/** Options of one test. */
export interface TestOptions {
  /** Timeout in ms (default {@linkcode TEST_TIMEOUT_MS}). */
  readonly timeout?: number;
  /** Skip it: `true`, or the reason. */
  readonly skip?: boolean | string | undefined;
}

/** A test body. */
export type TestBody = () => unknown;

/**
 * Declare a test with a deadline (node:test's `it` with `timeout` filled in).
 *
 * @param name What the test checks.
 * @param optionsOrBody Options, or the body.
 * @param body The body, when options come first.
 */
export function it(name: string, optionsOrBody: TestOptions | TestBody, body?: TestBody): void {
  const options = typeof optionsOrBody === "function" ? {} : optionsOrBody;
  const fn = typeof optionsOrBody === "function" ? optionsOrBody : body!;
  nodeTest.it(name, { timeout: TEST_TIMEOUT_MS, ...options }, async () => {
    await fn();
  });
}

/**
 * Wait for a promise, failing after `ms` milliseconds instead of waiting forever.
 *
 * @param promise What to wait for.
 * @param what What it is, for the failure message (`"the close event"`).
 * @param ms How long at most. Default {@linkcode EVENT_TIMEOUT_MS}.
 * @returns Its value.
 */
export function within<T>(
  promise: PromiseLike<T>,
  what: string,
  ms = EVENT_TIMEOUT_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Deadline: ${what} did not happen within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([Promise.resolve(promise), deadline]).finally(() => clearTimeout(timer));
}

/** A hook body. */
export type HookBody = () => unknown;

/** Options of a hook. */
export interface HookOptions {
  /** Timeout in ms (default {@linkcode TEST_TIMEOUT_MS}). */
  readonly timeout?: number;
}

type Register = (fn: () => Promise<void>, options: { timeout: number }) => void;

function hook(register: Register, name: string) {
  return (fn: HookBody, options: HookOptions = {}): void => {
    const timeout = options.timeout ?? TEST_TIMEOUT_MS;
    register(async () => {
      await within(Promise.resolve().then(fn), `the ${name} hook`, timeout);
    }, { timeout: timeout + 1_000 });
  };
}

/** A hook declaration: the body, and optionally a longer timeout. */
export type Hook = (fn: HookBody, options?: HookOptions) => void;

/** node:test's `before`, failing after {@linkcode TEST_TIMEOUT_MS} (or `options.timeout`). */
export const before: Hook = hook((fn, o) => nodeTest.before(fn, o), "before");
/** node:test's `after`, failing after {@linkcode TEST_TIMEOUT_MS} (or `options.timeout`). */
export const after: Hook = hook((fn, o) => nodeTest.after(fn, o), "after");
/** node:test's `beforeEach`, failing after {@linkcode TEST_TIMEOUT_MS} (or `options.timeout`). */
export const beforeEach: Hook = hook((fn, o) => nodeTest.beforeEach(fn, o), "beforeEach");
/** node:test's `afterEach`, failing after {@linkcode TEST_TIMEOUT_MS} (or `options.timeout`). */
export const afterEach: Hook = hook((fn, o) => nodeTest.afterEach(fn, o), "afterEach");
