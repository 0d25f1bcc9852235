/**
 * A device fleet through the hub, in one command: the hub (config examples/fleet/hub.json:
 * devices may register `device.*` and publish on `fleet.*`, the dashboard may call
 * `device.*`), three simulated devices, and a dashboard that lists them, reads their status,
 * sets a target and prints their telemetry.
 *
 * Run: `deno run -A examples/fleet/main.ts` (or `bun examples/fleet/main.ts`); Ctrl-C stops
 * it. With `--hub-only` it starts just the hub, for examples/fleet/device.ts and
 * examples/fleet/dashboard.ts run in other terminals. PORT sets the port.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { Hub, resolveHubConfig } from "../../server.ts";
import { type Device, startDevice } from "./device.ts";
import { connectDashboard, readFleet } from "./dashboard.ts";
import { envPort } from "../_serve.ts";

/** A running fleet. */
export interface Fleet {
  /** The hub. */
  readonly hub: Hub;
  /** The hub's WebSocket URL. */
  readonly url: string;
  /** The devices. */
  readonly devices: Device[];
  /** Stop the devices and the hub. */
  close(): Promise<void>;
}

/**
 * Start the hub with examples/fleet/hub.json and some devices.
 *
 * @param options Port (0 picks one; default PORT, else 8000), device ids, telemetry interval.
 * @returns The fleet.
 */
export async function startFleet(
  options: { port?: number; devices?: readonly string[]; interval?: number } = {},
): Promise<Fleet> {
  const file = JSON.parse(
    await readFile(fileURLToPath(new URL("./hub.json", import.meta.url).href), "utf8"),
  );
  const config = resolveHubConfig({ ...file, port: options.port ?? envPort() });
  const hub = await Hub.start(config);
  const url = `${hub.url.replace("http", "ws")}${config.path}`;
  const devices: Device[] = [];
  try {
    for (const id of options.devices ?? ["thermo-1", "thermo-2", "thermo-3"]) {
      devices.push(await startDevice(url, id, { interval: options.interval ?? 1_000 }));
    }
  } catch (error) {
    for (const device of devices) device.close();
    await hub.shutdown();
    throw error;
  }
  return {
    hub,
    url,
    devices,
    close: async () => {
      for (const device of devices) device.close();
      await hub.shutdown();
    },
  };
}

if (import.meta.main) {
  const hubOnly = process.argv.includes("--hub-only");
  const fleet = await startFleet(hubOnly ? { devices: [] } : {});
  console.log(`Hub on ${fleet.url} (inspector: ${fleet.hub.url}/)`);
  if (!hubOnly) {
    const dashboard = connectDashboard(fleet.url);
    console.table(await readFleet(dashboard));
    await dashboard.call("device.thermo-2.setTarget", [25]);
    console.log("thermo-2 now steers to 25 °C; telemetry follows (Ctrl-C stops)");
    dashboard.subscribe("fleet.*.telemetry", (data) => {
      const { id, temperature, target } = data as {
        id: string;
        temperature: number;
        target: number;
      };
      console.log(`${id}: ${temperature} °C → ${target} °C`);
    });
  }
}
