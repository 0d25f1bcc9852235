/**
 * A leveled logger writing one line per entry to stderr.
 *
 * @module
 */

import type { LogLevel } from "./config.ts";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * Logs at or above a level.
 *
 * @example
 * ```ts
 * import { Logger } from "./log.ts";
 * const lines: string[] = [];
 * const log = new Logger("warn", (line) => lines.push(line));
 * log.info("hidden");
 * log.warn("shown");
 * if (lines.length !== 1 || !lines[0]!.includes("shown")) throw new Error("unreachable");
 * ```
 */
export class Logger {
  readonly #level: number;
  readonly #write: (line: string) => void;

  /**
   * @param level The quietest level written.
   * @param write Where lines go. Default: `console.error`.
   */
  constructor(level: LogLevel, write: (line: string) => void = (line) => console.error(line)) {
    this.#level = ORDER[level];
    this.#write = write;
  }

  /** @param message What happened. */
  debug(message: string): void {
    this.#log("debug", message);
  }

  /** @param message What happened. */
  info(message: string): void {
    this.#log("info", message);
  }

  /** @param message What happened. */
  warn(message: string): void {
    this.#log("warn", message);
  }

  /** @param message What happened. */
  error(message: string): void {
    this.#log("error", message);
  }

  #log(level: LogLevel, message: string): void {
    if (ORDER[level] >= this.#level) {
      this.#write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}`);
    }
  }
}
