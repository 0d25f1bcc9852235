/**
 * One runtime's half of the benchmark: raw echo and Switchboard, measured interleaved on the
 * same runtime in the same process (server and client share one event loop).
 *
 * @module
 */

import { serve, Switchboard } from "../server.ts";
import {
  type Caller,
  median,
  pipelined,
  quantile,
  rawCaller,
  sequential,
  switchboardCaller,
} from "./_driver.ts";

/** A running raw server. */
export interface EchoServer {
  /** Its `ws://` URL. */
  readonly url: string;
  /** Stop it. */
  close(): Promise<void>;
}

/** Sizes of one run. */
export interface SuiteOptions {
  /** Interleaved repetitions of every measurement; the median is reported. */
  readonly rounds: number;
  /** Untimed calls before the first round, per caller (sequential and pipelined). */
  readonly warmup: number;
  /** Calls per sequential measurement. */
  readonly sequentialCalls: number;
  /** Calls per pipelined measurement. */
  readonly pipelinedCalls: number;
  /** Calls in flight during a pipelined measurement. */
  readonly inFlight: number;
  /** Time cap of each kind of measurement (sequential, pipelined) in one round, ms. */
  readonly capMs: number;
}

/** The default sizes (`--quick` divides the counts by 10). */
export const DEFAULT_OPTIONS: SuiteOptions = {
  rounds: 5,
  warmup: 5_000,
  sequentialCalls: 20_000,
  pipelinedCalls: 200_000,
  inFlight: 100,
  capMs: 6_000,
};

/** Figures of one kind of caller on one runtime (medians over the rounds). */
export interface Figures {
  /** Sequential round trip, median of the rounds' p50, µs. */
  readonly p50Us: number;
  /** Sequential round trip, median of the rounds' p99, µs. */
  readonly p99Us: number;
  /** Pipelined throughput, median over the rounds, calls/s. */
  readonly callsPerSec: number;
  /**
   * Process CPU time (user + system, all threads) per pipelined call, median over the
   * rounds, µs. Server and client share the process, so this is the whole cost of a call;
   * unlike wall time it hardly moves when other processes compete for the cores.
   */
  readonly cpuUsPerCall: number;
  /** Every round's figures, for the curious. */
  readonly rounds: { p50Us: number; p99Us: number; callsPerSec: number; cpuUsPerCall: number }[];
}

/** One runtime's result. */
export interface RuntimeResult {
  /** "deno" or "bun". */
  readonly runtime: string;
  /** The runtime's version. */
  readonly version: string;
  /** Where server and client ran. */
  readonly placement: string;
  /** The sizes used. */
  readonly options: SuiteOptions;
  /** Raw WebSocket echo through the call-style driver. */
  readonly raw: Figures;
  /** Reference: a bare JSON-RPC server (parse + stringify, no library), same driver. */
  readonly jsonFloor: Figures;
  /** Switchboard client calling a Switchboard server's `echo`. */
  readonly switchboard: Figures;
}

/**
 * What a runtime half provides: raw servers on 127.0.0.1, port 0.
 *
 * - `echo` sends every text frame back unchanged: the baseline.
 * - `json` parses each frame and answers `{"jsonrpc":"2.0","id":…,"result":params}` with
 *   `JSON.stringify`: the least any JSON-RPC server must do, for reference (the "JSON floor").
 */
export type RawServerKind = "echo" | "json";

/**
 * Run the benchmark on the current runtime.
 *
 * @param runtime The runtime's name and version.
 * @param startRaw Starts one of this runtime's raw servers on 127.0.0.1, port 0.
 * @param options Sizes.
 * @returns The figures.
 */
export async function runSuite(
  runtime: { name: string; version: string },
  startRaw: (kind: RawServerKind) => Promise<EchoServer>,
  options: SuiteOptions,
): Promise<RuntimeResult> {
  const servers: EchoServer[] = [];
  const callers: Caller[] = [];
  try {
    const echo = await startRaw("echo");
    servers.push(echo);
    const json = await startRaw("json");
    servers.push(json);
    // The call path at full speed: one connection runs far past the default rate limit.
    const sb = new Switchboard({ rateLimit: false });
    sb.register("echo", (params) => params);
    const sbServer = await serve(sb, { hostname: "127.0.0.1", port: 0, path: "/rpc" });
    servers.push({ url: `${sbServer.url.replace("http:", "ws:")}/rpc`, close: sbServer.close });
    callers.push(await rawCaller(echo.url));
    callers.push(await rawCaller(json.url));
    callers.push(await switchboardCaller(servers[2]!.url));
    for (const caller of callers) {
      await sequential(caller, options.warmup, performance.now() + options.capMs, []);
      await pipelined(caller, options.warmup * 4, options.inFlight, options.capMs);
    }
    const rounds: Figures["rounds"][] = callers.map(() => []);
    for (let round = 0; round < options.rounds; round++) {
      const figures = await measureRound(callers, options);
      figures.forEach((f, i) => rounds[i]!.push(f));
    }
    return {
      runtime: runtime.name,
      version: runtime.version,
      placement: "server and client in one process (one event loop)",
      options,
      raw: summarise(rounds[0]!),
      jsonFloor: summarise(rounds[1]!),
      switchboard: summarise(rounds[2]!),
    };
  } finally {
    for (const caller of callers) caller.close();
    for (const server of servers.reverse()) await server.close();
  }
}

/** Calls per block: the callers take turns block by block within a round. */
const SEQUENTIAL_BLOCK = 500;
const PIPELINED_BLOCK = 10_000;

/**
 * One round: the callers take turns in short blocks (the order rotates from block to block),
 * so that all see the same background load on a shared machine.
 */
async function measureRound(
  callers: readonly Caller[],
  options: SuiteOptions,
): Promise<Figures["rounds"]> {
  const n = callers.length;
  const samples: number[][] = callers.map(() => []);
  let deadline = performance.now() + options.capMs;
  for (let block = 0; block * SEQUENTIAL_BLOCK < options.sequentialCalls; block++) {
    for (let k = 0; k < n; k++) {
      const i = (block + k) % n;
      await sequential(callers[i]!, SEQUENTIAL_BLOCK, deadline, samples[i]!);
    }
    if (performance.now() > deadline) break;
  }
  const calls = callers.map(() => 0);
  const ms = callers.map(() => 0);
  const cpu = callers.map(() => 0);
  deadline = performance.now() + options.capMs;
  for (let block = 0; block * PIPELINED_BLOCK < options.pipelinedCalls; block++) {
    for (let k = 0; k < n; k++) {
      const i = (block + k) % n;
      const left = Math.max(1, deadline - performance.now());
      const result = await pipelined(callers[i]!, PIPELINED_BLOCK, options.inFlight, left);
      calls[i]! += result.calls;
      ms[i]! += result.ms;
      cpu[i]! += result.cpuUs;
    }
    if (performance.now() > deadline) break;
  }
  return callers.map((_, i) => {
    const sorted = Float64Array.from(samples[i]!).sort();
    return {
      p50Us: quantile(sorted, 0.5),
      p99Us: quantile(sorted, 0.99),
      callsPerSec: calls[i]! / (ms[i]! / 1000),
      cpuUsPerCall: cpu[i]! / calls[i]!,
    };
  });
}

function summarise(rounds: Figures["rounds"]): Figures {
  return {
    p50Us: median(rounds.map((r) => r.p50Us)),
    p99Us: median(rounds.map((r) => r.p99Us)),
    callsPerSec: median(rounds.map((r) => r.callsPerSec)),
    cpuUsPerCall: median(rounds.map((r) => r.cpuUsPerCall)),
    rounds,
  };
}

/**
 * Read the sizes from command-line flags: `--quick`, `--rounds=N`.
 *
 * @param args The arguments.
 * @returns The sizes.
 */
export function optionsFromArgs(args: readonly string[]): SuiteOptions {
  let options = DEFAULT_OPTIONS;
  if (args.includes("--quick")) {
    options = {
      ...options,
      rounds: 3,
      warmup: 1_000,
      sequentialCalls: 2_000,
      pipelinedCalls: 20_000,
    };
  }
  const rounds = args.find((a) => a.startsWith("--rounds="));
  if (rounds !== undefined) {
    const n = Number(rounds.slice("--rounds=".length));
    if (!(Number.isInteger(n) && n > 0 && n <= 50)) {
      throw new RangeError(`bench: --rounds must be an integer from 1 to 50: got ${rounds}`);
    }
    options = { ...options, rounds: n };
  }
  return options;
}
