/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven
 * by playwright-core, with the flags this machine's closed network needs. Without Chromium or
 * playwright-core the tests skip, except under CI=true where loading this module fails.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The Chromium binary. */
export const CHROMIUM: string = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

type Playwright = typeof import("playwright-core");

/** A browser context with its own fresh profile directory. */
export type BrowserContext = Awaited<
  ReturnType<Playwright["chromium"]["launchPersistentContext"]>
>;

async function loadPlaywright(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  try {
    return await import("playwright-core");
  } catch (error) {
    return `playwright-core is not installed: ${error}`;
  }
}

const playwright = await loadPlaywright();

/** Why browser tests cannot run here, or undefined when they can (pass as `skip`). */
export const browserMissing: string | undefined = typeof playwright === "string"
  ? playwright
  : undefined;
if (browserMissing !== undefined && process.env.CI === "true") {
  throw new Error(`browser tests cannot run under CI: ${browserMissing}`);
}

/** A launched browser: its context, its profile directory, and how to end both. */
export interface Browser {
  /** The context (one persistent profile). */
  readonly context: BrowserContext;
  /** The profile directory (screenshots may go there). */
  readonly profile: string;
  /** Close the browser and delete the profile. */
  close(): Promise<void>;
}

/**
 * Launch headless Chromium with a fresh profile.
 *
 * @param name A short name for the profile directory.
 * @returns The browser.
 */
export async function launchBrowser(name: string): Promise<Browser> {
  if (typeof playwright === "string") throw new Error(playwright);
  const profile = await mkdtemp(join(tmpdir(), `${name}-chromium-`));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  return {
    context,
    profile,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
