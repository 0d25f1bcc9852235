/**
 * Figures in the docs that a script can compute are written by this script, never typed by
 * hand: each sits between `<!-- figure:NAME -->` and `<!-- /figure -->` in README.md or
 * docs/*.md. `deno task docs:figures` rewrites them; `--check` only reports stale ones (exit 1),
 * which tests/docs/docs_test.ts runs.
 *
 * Figures: `bundle-bytes` and `bundle-gzip` (the served client, `GET <path>/client.js`),
 * `dts-bytes` (its declarations, `client.d.ts`).
 *
 * @module
 */

import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { CLIENT_DTS, CLIENT_JS } from "../lib/server/client_bundle_generated.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url).href);
const MARK = /<!-- figure:([a-z-]+) -->([\s\S]*?)<!-- \/figure -->/g;

function bytes(n: number): string {
  return `${n.toLocaleString("en-US")} bytes`;
}

/** Each figure's current text. */
export function figures(): Record<string, string> {
  const js = new TextEncoder().encode(CLIENT_JS);
  return {
    "bundle-bytes": bytes(js.byteLength),
    "bundle-gzip": `${(gzipSync(js, { level: 9 }).byteLength / 1024).toFixed(1)} KiB gzipped`,
    "dts-bytes": bytes(new TextEncoder().encode(CLIENT_DTS).byteLength),
  };
}

/**
 * Rewrite (or check) every marked figure.
 *
 * @param check Only report.
 * @returns The stale figures found, as `file: name (was → now)`.
 */
export async function updateFigures(check: boolean): Promise<string[]> {
  const values = figures();
  const files = [
    "README.md",
    ...(await readdir(join(ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
  ];
  const stale: string[] = [];
  for (const file of files) {
    const text = await readFile(join(ROOT, file), "utf8");
    const next = text.replace(MARK, (whole, name: string, was: string) => {
      const now = values[name];
      if (now === undefined) {
        stale.push(`${file}: unknown figure ${name}`);
        return whole;
      }
      if (was !== now) stale.push(`${file}: ${name} (${was} → ${now})`);
      return `<!-- figure:${name} -->${now}<!-- /figure -->`;
    });
    if (!check && next !== text) await writeFile(join(ROOT, file), next);
  }
  return stale;
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  const stale = await updateFigures(check);
  for (const line of stale) console.log(line);
  if (check && stale.length > 0) process.exit(1);
}
