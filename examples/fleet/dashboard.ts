/**
 * The fleet's dashboard: it asks the hub which devices are there (`rpc.discover`), calls each
 * one's `status` through the hub, can set a device's target, and follows the telemetry of
 * them all (`fleet.*.telemetry`).
 *
 * Run (with the fleet running: `deno run -A examples/fleet/main.ts --hub-only` and a device):
 * `deno run -A examples/fleet/dashboard.ts` or `bun examples/fleet/dashboard.ts`; an argument
 * sets the hub URL (default ws://127.0.0.1:8000/rpc), OPERATOR_TOKEN the token.
 *
 * @module
 */

import process from "node:process";
import { type Client, connect } from "../../mod.ts";
import type { DeviceStatus } from "./device.ts";

/** The operators' token in examples/fleet/hub.json. */
export const OPERATOR_TOKEN = "operator-secret-change-me";

/**
 * Connect as the dashboard.
 *
 * @param url The hub's WebSocket URL.
 * @param token The operators' token.
 * @returns The client.
 */
export function connectDashboard(url: string, token: string = OPERATOR_TOKEN): Client {
  return connect(withToken(url, token));
}

/**
 * The hub URL with a token in its query (`?token=`), which the hub checks before the upgrade
 * (a browser's WebSocket cannot send an `Authorization` header).
 *
 * @param url The hub's WebSocket URL.
 * @param token The token.
 * @returns The URL to connect to.
 */
export function withToken(url: string, token: string): string {
  const withQuery = new URL(url);
  withQuery.searchParams.set("token", token);
  return withQuery.href;
}

/**
 * The devices the hub knows, from its OpenRPC document.
 *
 * @param client The dashboard's client.
 * @returns Device ids, sorted.
 */
export async function listDevices(client: Client): Promise<string[]> {
  const doc = await client.call("rpc.discover") as { methods: { name: string }[] };
  return doc.methods
    .map((m) => /^device\.([\w-]+)\.status$/.exec(m.name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort();
}

/**
 * Read every device's status through the hub.
 *
 * @param client The dashboard's client.
 * @returns One status per device.
 */
export async function readFleet(client: Client): Promise<DeviceStatus[]> {
  const ids = await listDevices(client);
  return await Promise.all(
    ids.map((id) => client.call(`device.${id}.status`) as Promise<DeviceStatus>),
  );
}

if (import.meta.main) {
  const url = process.argv[2] ?? "ws://127.0.0.1:8000/rpc";
  const client = connectDashboard(url, process.env.OPERATOR_TOKEN ?? OPERATOR_TOKEN);
  console.table(await readFleet(client));
  client.subscribe("fleet.*.telemetry", (data) => {
    const { id, temperature, target } = data as DeviceStatus;
    console.log(`${id}: ${temperature} °C → ${target} °C`);
  });
}
