/**
 * Settings shared by the property-based tests (fast-check): a fixed seed and a modest number
 * of runs in CI, more locally with `FUZZ_RUNS=20000` (and another seed with `FUZZ_SEED`).
 *
 * @module
 */

import process from "node:process";

/**
 * fast-check parameters: fixed seed, `FUZZ_RUNS` runs (default `ciRuns`), a time limit per
 * property so that no run can hang the suite.
 *
 * @param ciRuns Runs when `FUZZ_RUNS` is not set.
 * @returns The parameters for `fc.assert`.
 */
export function fuzzParameters(
  ciRuns: number,
): {
  seed: number;
  numRuns: number;
  interruptAfterTimeLimit: number;
  markInterruptAsFailure: boolean;
} {
  const runs = Number(process.env.FUZZ_RUNS ?? ciRuns);
  const seed = Number(process.env.FUZZ_SEED ?? 0x5b0a4d);
  return {
    seed,
    numRuns: Number.isSafeInteger(runs) && runs > 0 ? runs : ciRuns,
    // A property that runs this long is a hang: fail, do not pass silently.
    interruptAfterTimeLimit: Math.max(20_000, runs * 10),
    markInterruptAsFailure: true,
  };
}
